export interface PeerStats {
  peerId: string
  connected: boolean
  connectedAt: string | null
  lastSyncAt: string | null
  entriesReceived: number
  rejected: number
}

/** What this node has seen of each peer, for /api/v1/peers. */
export class PeerTracker {
  readonly #peers = new Map<string, PeerStats>()

  #get(peerId: string): PeerStats {
    let s = this.#peers.get(peerId)
    if (s === undefined) {
      s = { peerId, connected: false, connectedAt: null, lastSyncAt: null, entriesReceived: 0, rejected: 0 }
      this.#peers.set(peerId, s)
    }
    return s
  }

  connected(peerId: string): void {
    const s = this.#get(peerId)
    s.connected = true
    s.connectedAt = new Date().toISOString()
  }

  disconnected(peerId: string): void {
    this.#get(peerId).connected = false
  }

  received(peerId: string, stored: number, rejected: number): void {
    const s = this.#get(peerId)
    s.entriesReceived += stored
    s.rejected += rejected
  }

  synced(peerId: string): void {
    this.#get(peerId).lastSyncAt = new Date().toISOString()
  }

  all(): PeerStats[] {
    return [...this.#peers.values()]
  }
}
