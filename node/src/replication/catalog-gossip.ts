import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import type { Logger } from 'pino'
import { CATALOG_TOPIC, decodeGossipEntry, encodeGossipEntry, CodecError, type SignedEntry } from '@swf/protocol'
import { isProvableForgery, type EntryAcceptor } from './entry-acceptor.js'
import type { PeerGuard } from '../p2p/peer-guard.js'
import type { PeerTracker } from '../p2p/peer-tracker.js'

export interface GossipCounters {
  published: number
  accepted: number
  ignored: number
  rejected: number
}

export interface CatalogGossipComponents {
  pubsub: GossipSub
  acceptor: EntryAcceptor
  tracker: PeerTracker
  guard: PeerGuard
  log: Logger
}

export interface CatalogGossipInit {
  /** Called when an accepted entry reveals a gap in a publisher's sequence: pull from the sender. */
  onGap: (fromPeer: string) => void
}

/**
 * Push half of catalog sync: own entries are published on CATALOG_TOPIC at
 * once; received ones are verified and stored inside gossipsub's validator,
 * so only valid, new entries are forwarded (Reject penalises the sender).
 */
export class CatalogGossip {
  readonly counters: GossipCounters = { published: 0, accepted: 0, ignored: 0, rejected: 0 }

  readonly #c: CatalogGossipComponents
  readonly #init: CatalogGossipInit

  constructor(components: CatalogGossipComponents, init: CatalogGossipInit) {
    this.#c = components
    this.#init = init
  }

  start(): void {
    this.#c.pubsub.topicValidators.set(CATALOG_TOPIC, async (peerId, msg) => {
      const from = peerId.toString()
      let jws: string
      try {
        jws = decodeGossipEntry(msg.data)
      } catch (err) {
        if (!(err instanceof CodecError)) throw err
        this.#c.guard.strike(from, 'undecodable gossip message')
        return this.#count(from, TopicValidatorResult.Reject, 0)
      }
      const r = await this.#c.acceptor.accept([jws], `gossip:${from}`)
      if (r.gaps.length > 0) this.#init.onGap(from)
      if (r.rejected.length > 0) {
        const reason = r.rejected[0]!.reason
        // Reject penalises the sender in gossipsub's score; only for forgeries,
        // not for what a differing participant list explains (not forwarded either way).
        if (!isProvableForgery(reason)) return this.#count(from, TopicValidatorResult.Ignore, 0, true)
        this.#c.guard.strike(from, `forged entry (${reason})`)
        return this.#count(from, TopicValidatorResult.Reject, 0)
      }
      return this.#count(from, r.stored.length > 0 ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore, r.stored.length)
    })
    this.#c.pubsub.subscribe(CATALOG_TOPIC)
  }

  stop(): void {
    this.#c.pubsub.topicValidators.delete(CATALOG_TOPIC)
  }

  async publish(entry: SignedEntry): Promise<void> {
    try {
      await this.#c.pubsub.publish(CATALOG_TOPIC, encodeGossipEntry(entry.jws))
      this.counters.published++
    } catch (err) {
      // No peer yet: anti-entropy delivers it when one connects.
      this.#c.log.debug({ err: (err as Error).message, seq: entry.payload.seq }, 'gossip publish failed')
    }
  }

  #count(from: string, result: TopicValidatorResult, stored: number, refused = false): TopicValidatorResult {
    const rejected = refused || result === TopicValidatorResult.Reject
    if (result === TopicValidatorResult.Accept) this.counters.accepted++
    else if (rejected) this.counters.rejected++
    else this.counters.ignored++
    this.#c.tracker.received(from, stored, rejected ? 1 : 0)
    return result
  }
}
