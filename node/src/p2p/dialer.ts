import type { PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import type { Host } from './host.js'

export interface DialTarget {
  peerId: PeerId
  addrs: string[]
  /** Bootstrap peers and ring successors are dialled whatever the peer budget says. */
  always?: boolean
}

/**
 * Keeps a node connected to a bounded, random set of peers instead of all of
 * them: dialling all 58 others every round from 59 nodes at once was a dial
 * storm in which almost no connection completed. Gossip relays and pulls from
 * any connected peer, so a connected graph is all sync needs.
 */
export class Dialer {
  readonly #host: Host
  readonly #targetPeers: number
  readonly #log: Logger
  readonly #pending = new Set<string>()
  readonly #failed = new Set<string>()

  constructor(host: Host, targetPeers: number, log: Logger) {
    this.#host = host
    this.#targetPeers = targetPeers
    this.#log = log
  }

  /** Starts dials so that connected + pending reaches the target; never two dials to one peer. */
  tick(targets: DialTarget[]): void {
    const connected = new Set(this.#host.getPeers().map(p => p.toString()))
    const open = targets.filter(t => !connected.has(t.peerId.toString()) && !this.#pending.has(t.peerId.toString()) && t.addrs.length > 0)
    let budget = this.#targetPeers - connected.size - this.#pending.size
    for (const t of shuffle(open).sort((a, b) => Number(b.always === true) - Number(a.always === true))) {
      if (t.always !== true && budget <= 0) break
      budget--
      this.#dial(t)
    }
  }

  /**
   * One round of a node's dialling: ring successors of `self` among the targets
   * (up to the first one connected or not known to have failed) are marked to be
   * dialled whatever the budget, then tick().
   */
  round(self: string, targets: DialTarget[]): void {
    const connected = new Set(this.#host.getPeers().map(String))
    markRingSuccessors(self, targets, peer => connected.has(peer) || !this.lastDialFailed(peer))
    this.tick(targets)
  }

  /** Whether the last dial to the peer failed (it is probably offline). */
  lastDialFailed(peer: string): boolean {
    return this.#failed.has(peer)
  }

  #dial({ peerId, addrs }: DialTarget): void {
    const peer = peerId.toString()
    const targets = addrs.map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`))
    this.#pending.add(peer)
    this.#host
      .dial(targets, { signal: AbortSignal.timeout(5_000) })
      .then(() => {
        this.#failed.delete(peer)
      })
      .catch((err: unknown) => {
        this.#failed.add(peer)
        this.#log.debug({ peer, err: (err as Error).message }, 'dial failed')
      })
      .finally(() => this.#pending.delete(peer))
  }
}

/**
 * Random peer sets alone can split the region into islands that never meet.
 * Every node therefore also keeps its successor in the ring of peer ids: the
 * successors up to and including the first reachable one (connected, or not
 * known to have failed) are always dialled, so offline successors are skipped
 * one round at a time and the online nodes form one ring. At most a few are
 * forced, so a region that is mostly down does not turn into a dial storm.
 */
const MAX_RING_SUCCESSORS = 3

export function markRingSuccessors(self: string, targets: DialTarget[], isReachable: (peer: string) => boolean): void {
  // Code-unit order, never localeCompare: peer ids are case-sensitive base58, and every node
  // must see the same ring whatever its locale (localeCompare folds case and disagreed with sort()).
  const ring = [...targets].sort((a, b) => compareIds(a.peerId.toString(), b.peerId.toString()))
  const start = ring.findIndex(t => compareIds(t.peerId.toString(), self) > 0)
  for (let i = 0; i < Math.min(ring.length, MAX_RING_SUCCESSORS); i++) {
    const t = ring[((start === -1 ? 0 : start) + i) % ring.length]!
    t.always = true
    if (isReachable(t.peerId.toString())) break
  }
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const t = items[i]!
    items[i] = items[j]!
    items[j] = t
  }
  return items
}
