import type { Logger } from 'pino'
import { CodecError, EntryVerifier, type SignedEntry } from '@swf/protocol'
import type { EntryStore } from '../services/entry-store.js'
import type { Host } from '../p2p/host.js'
import type { PeerGuard } from '../p2p/peer-guard.js'
import type { PeerTracker } from '../p2p/peer-tracker.js'
import { CatalogGossip } from './catalog-gossip.js'
import { CatalogSync } from './catalog-sync.js'
import { EntryAcceptor, type AcceptorLimits, type Membership } from './entry-acceptor.js'
import { SignaturePool } from './signature-pool.js'
import { MAX_WALK_PULLS } from './constants.js'

/** The participant list as replication asks it. */
export interface Participants extends Membership {
  /** An active participant: it may connect and sync. */
  isActive: (peerId: string) => boolean
  /** Its entries are relayed: an active or a retired key of a participant. */
  isPublisher: (peerId: string) => boolean
}

/** What replication is built from: the libp2p host and the node's parts it writes to or asks. */
export interface ReplicationComponents {
  host: Host
  store: EntryStore
  /** Who belongs: the participant list (the region's ParticipantDirectory). */
  directory: Participants
  /** Who may connect and sync: the connection gater's rule (active and not banned), one function for both. */
  isAllowed: (peerId: string) => boolean
  guard: PeerGuard
  tracker: PeerTracker
  log: Logger
}

export interface ReplicationInit {
  /** This node's peer id: its own entries pass without a membership check. */
  self: string
  limits: AcceptorLimits
  /** A pull from one peer (the one synced longest ago) every this many ms. */
  antiEntropyMs: number
}

/**
 * The catalog's replication, one Startable as js-libp2p builds its services:
 * own entries go out by gossip at once; what a peer holds and this node lacks
 * comes in by pull — on connect, when gossip reveals a gap, and once per
 * anti-entropy round. Every entry passes the acceptor (signature on the
 * worker pool, membership, quota) before it is stored; the acceptor's events
 * say what was stored or rejected.
 */
export class Replication {
  readonly acceptor: EntryAcceptor
  readonly gossip: CatalogGossip
  readonly sync: CatalogSync
  readonly #components: ReplicationComponents
  readonly #init: ReplicationInit
  readonly #signatures = new SignaturePool()
  readonly #pulling = new Map<string, Promise<void>>()
  readonly #pullAgain = new Set<string>()
  readonly #log: Logger
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  constructor(components: ReplicationComponents, init: ReplicationInit) {
    const { host, store, directory, guard, tracker, log } = components
    this.#components = components
    this.#init = init
    this.#log = log.child({ part: 'p2p' })
    this.acceptor = new EntryAcceptor(
      store,
      directory,
      new EntryVerifier(),
      init.self,
      log.child({ part: 'acceptor' }),
      this.#signatures,
      init.limits
    )
    // A conflict seen by gossip or by proofs: the next pull walks back to where the logs part.
    this.acceptor.events.on('entry:conflict', seqs => {
      this.sync.noteConflicts(seqs)
    })
    this.gossip = new CatalogGossip(
      { pubsub: host.services.pubsub, acceptor: this.acceptor, tracker, guard, log: log.child({ part: 'gossip' }) },
      {
        onGap: peer => {
          this.schedulePull(peer)
        }
      }
    )
    this.sync = new CatalogSync({
      host,
      store,
      acceptor: this.acceptor,
      tracker,
      members: {
        isAllowed: components.isAllowed,
        isPublisher: peer => directory.isPublisher(peer)
      },
      guard,
      log: log.child({ part: 'sync' })
    })
  }

  async start(): Promise<void> {
    const { host, tracker } = this.#components
    this.gossip.start()
    await this.sync.start()
    host.addEventListener('peer:connect', evt => {
      this.schedulePull(evt.detail.toString())
    })
    // One peer per round, the one synced longest ago: pulling from every peer
    // every round costs O(N²) across the region and saturated 20 nodes on 2 cores.
    this.#timer = setInterval(() => {
      const lastSync = new Map(tracker.all().map(s => [s.peerId, s.lastSyncAt ?? '']))
      const next = host
        .getPeers()
        .map(p => p.toString())
        .sort((a, b) => (lastSync.get(a) ?? '').localeCompare(lastSync.get(b) ?? ''))[0]
      if (next !== undefined) this.schedulePull(next)
    }, this.#init.antiEntropyMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    this.gossip.stop()
    await Promise.allSettled(this.#pulling.values())
    await this.sync.stop().catch(() => {})
    await this.#signatures.close()
  }

  /** Gossips an own entry right after it is committed. */
  publish(entry: SignedEntry): void {
    void this.gossip.publish(entry)
  }

  /** Pulls from an active participant soon (connect, gap, anti-entropy); never throws. */
  schedulePull(peer: string): void {
    if (this.#stopped || !this.#components.directory.isActive(peer)) return
    void this.pullFrom(peer)
  }

  /** Pulls from a peer now; coalesces concurrent requests for the same peer. */
  async pullFrom(peer: string): Promise<void> {
    const running = this.#pulling.get(peer)
    if (running !== undefined) {
      this.#pullAgain.add(peer)
      return running
    }
    const p = (async () => {
      try {
        // Again while asked to, or while a fork is walked back (bounded).
        let walks = 0
        let walkOn = false
        do {
          this.#pullAgain.delete(peer)
          const r = await this.sync.pull(peer)
          if (r.received > 0) this.#log.debug({ peer, ...r }, 'pulled entries')
          walkOn = r.walkOn && ++walks < MAX_WALK_PULLS
        } while ((this.#pullAgain.has(peer) || walkOn) && !this.#stopped)
      } catch (err) {
        if (!this.#stopped) {
          const level = err instanceof CodecError ? 'warn' : 'debug'
          this.#log[level]({ peer, err: (err as Error).message }, 'pull failed; frame dropped')
        }
      } finally {
        this.#pulling.delete(peer)
      }
    })()
    this.#pulling.set(peer, p)
    return p
  }
}
