import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import { TokenBuckets } from '@swf/protocol'

export interface PeerGuardOptions {
  /** Inbound requests (search, data query, fetch, sync) per peer and second, sustained. */
  requestsPerSecond: number
  /** Requests a peer may send at once before the rate applies. */
  burst: number
  /** Provable misbehaviour (forged entries, undecodable frames) tolerated per window before a ban. */
  maxStrikes: number
  strikeWindowMs: number
  banMs: number
}

interface Strikes {
  count: number
  since: number
}

/**
 * Per-peer limits on top of the registry's gate: a token bucket for inbound
 * requests, and strikes for provable misbehaviour — a peer that collects too
 * many is disconnected and refused for a while, registered or not. Emits
 * 'ban' with the peer id.
 */
export class PeerGuard extends EventEmitter<{ ban: [peer: string, reason: string] }> {
  readonly counters = { refusedRequests: 0, strikes: 0, bans: 0 }
  readonly #opts: PeerGuardOptions
  readonly #log: Logger
  readonly #requests: TokenBuckets
  readonly #strikes = new Map<string, Strikes>()
  readonly #banned = new Map<string, number>()

  constructor(opts: PeerGuardOptions, log: Logger) {
    super()
    this.#opts = opts
    this.#log = log
    this.#requests = new TokenBuckets(opts.requestsPerSecond, opts.burst)
  }

  /** Takes one request token; false means: refuse this request. */
  allowRequest(peer: string, now = Date.now()): boolean {
    if (this.isBanned(peer, now)) return false
    if (this.#requests.take(peer, 1, now)) return true
    this.counters.refusedRequests++
    return false
  }

  /** Records provable misbehaviour; bans the peer when it has too many strikes in the window. */
  strike(peer: string, reason: string, n = 1, now = Date.now()): void {
    if (this.isBanned(peer, now)) return
    const s = this.#strikes.get(peer)
    const current = s === undefined || now - s.since > this.#opts.strikeWindowMs ? { count: 0, since: now } : s
    current.count += n
    this.#strikes.set(peer, current)
    this.counters.strikes += n
    if (current.count > this.#opts.maxStrikes) {
      this.#strikes.delete(peer)
      this.#log.warn({ peer, reason, strikes: current.count, banMs: this.#opts.banMs }, 'peer banned for misbehaviour; disconnecting')
      this.ban(peer, this.#opts.banMs, reason, now)
    }
  }

  /** Disconnects and refuses `peer` for `ms` (misbehaviour, or an operator's decision). */
  ban(peer: string, ms: number, reason: string, now = Date.now()): void {
    this.#banned.set(peer, now + ms)
    this.counters.bans++
    this.emit('ban', peer, reason)
  }

  /** Lifts a ban; the peer is dialled again at the next round. */
  unban(peer: string): void {
    this.#banned.delete(peer)
  }

  isBanned(peer: string, now = Date.now()): boolean {
    const until = this.#banned.get(peer)
    if (until === undefined) return false
    if (now < until) return true
    this.#banned.delete(peer)
    return false
  }

  /** Peers banned now, with the time the ban ends. */
  bans(now = Date.now()): Array<{ peerId: string; until: string }> {
    return [...this.#banned].filter(([, until]) => until > now).map(([peerId, until]) => ({ peerId, until: new Date(until).toISOString() }))
  }
}
