import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import {
  InvalidEntryError,
  jwsKeyId,
  jwsPayloadOf,
  signatureInputOf,
  type EntryVerifier,
  type InvalidEntryReason,
  type SignedEntry
} from '@swf/protocol'
import type { Participant } from '@swf/protocol'
import { entryCost, type EntryStore } from '../services/entry-store.js'
import type { SignaturePool } from './signature-pool.js'

export interface Membership {
  get: (peerId: string) => Participant | undefined
}

/** What one publisher may make this node store (config `quota`), and the clock skew tolerated. */
export interface AcceptorLimits {
  maxEntriesPerPublisher: number
  maxBytesPerPublisher: number
  maxBytesPerHour: number
  maxClockSkewMs: number
}

export const DEFAULT_ACCEPTOR_LIMITS: AcceptorLimits = {
  maxEntriesPerPublisher: 1_000_000,
  maxBytesPerPublisher: 1024 * 1024 * 1024,
  maxBytesPerHour: 64 * 1024 * 1024,
  maxClockSkewMs: 300_000
}

const HOUR_MS = 3_600_000

/**
 * Why an entry was not stored: the entry itself is invalid (InvalidEntryReason),
 * its publisher is not in this node's participant list, it was signed too far
 * in the future, or its publisher is over its quota.
 */
export type RejectReason = InvalidEntryReason | 'unregistered-publisher' | 'from-the-future' | 'over-quota'

export interface Rejection {
  reason: RejectReason
}

export interface AcceptResult {
  /** Entries now held that were not (including equivocation winners that replaced a loser). */
  stored: SignedEntry[]
  duplicates: number
  /** Second entries for a held sequence number (equivocation): proof kept either way. */
  conflicts: number
  rejected: Rejection[]
  /** Publishers whose watermark now trails an entry held: something is missing. */
  gaps: string[]
  /** (publisher, seq) of every equivocation seen: where two logs of one publisher part. */
  conflictSeqs: Array<[publisher: string, seq: number]>
}

export interface AcceptorEvents {
  /** Entries now held that were not: from one accept() or one proof of equivocation. */
  'entry:stored': [entries: SignedEntry[]]
  /** Entries one accept() refused, with the peer or path they came from (`gossip:<peer>`, `sync:<peer>`). */
  'entry:rejected': [rejections: Rejection[], source: string]
  /** Where two entries of a publisher for one seq were seen (equivocation), by any way in. */
  'entry:conflict': [seqs: Array<[publisher: string, seq: number]>]
}

export interface AcceptorCounters {
  stored: number
  duplicates: number
  conflicts: number
  rejected: number
  overQuota: number
  fromTheFuture: number
}

/**
 * Admits entries that arrive from other nodes (gossip or pull): signature by
 * the publisher's registered key, publisher an active participant, not a
 * replay; then stores them. Nothing that fails a check is stored.
 */
export class EntryAcceptor {
  readonly counters: AcceptorCounters = { stored: 0, duplicates: 0, conflicts: 0, rejected: 0, overQuota: 0, fromTheFuture: 0 }
  /** Per publisher: (received at, cost) of the entries accepted within the last hour. */
  readonly #recent = new Map<string, Array<{ at: number; bytes: number }>>()
  /** `entry:stored` (mirroring listens) and `entry:rejected`; any number of listeners. */
  readonly events = new EventEmitter<AcceptorEvents>()

  constructor(
    private readonly store: EntryStore,
    private readonly members: Membership,
    private readonly verifier: EntryVerifier,
    private readonly self: string,
    private readonly log: Logger,
    /** When given, the signatures of a batch are verified on worker threads. */
    private readonly pool?: SignaturePool,
    private readonly limits: AcceptorLimits = DEFAULT_ACCEPTOR_LIMITS
  ) {}

  async accept(jwsList: string[], source: string): Promise<AcceptResult> {
    const result: AcceptResult = { stored: [], duplicates: 0, conflicts: 0, rejected: [], gaps: [], conflictSeqs: [] }
    // An anti-entropy pull that found nothing new: no transaction, no events.
    if (jwsList.length === 0) return result
    const checked = await this.checkAll(jwsList)
    const valid: SignedEntry[] = []
    for (const c of checked) {
      if ('reason' in c) this.#reject(result, c.reason)
      else valid.push(c)
    }
    this.#admit(valid, result, source)
    this.#report(result, source)
    return result
  }

  /**
   * Stores what passes the quota, and detects equivocation whatever else
   * refuses an entry: a second entry for a held sequence number, or one
   * whose prevHash names another predecessor, leaves its proof even when
   * the quota turns the entry away.
   */
  #admit(valid: SignedEntry[], result: AcceptResult, source: string): void {
    const admitted = this.#withinLimits(valid, result)
    const refused = valid.filter(e => !admitted.includes(e))
    for (const seq of this.store.recordProofs(refused)) result.conflictSeqs.push(seq)
    if (admitted.length === 0) return
    const outcomes = this.store.store(admitted)
    outcomes.forEach((o, i) => {
      const e = admitted[i]!
      if (o === 'stored' || o === 'replaced') result.stored.push(e)
      else if (o === 'duplicate') result.duplicates++
      if (o === 'conflict' || o === 'replaced') {
        result.conflicts++
        result.conflictSeqs.push([e.payload.publisher, e.payload.seq])
        this.log.warn(
          {
            source,
            publisher: e.payload.publisher,
            seq: e.payload.seq,
            hash: e.hash,
            kept: o === 'replaced' ? 'this entry (lower hash)' : 'the held entry (lower hash)'
          },
          'publisher signed two entries for one sequence number (equivocation); proof kept'
        )
      }
    })
    const vv = this.store.versionVector()
    result.gaps = [...new Set(result.stored.map(e => e.payload.publisher))].filter(p => (vv[p] ?? 0) < maxSeqOf(result.stored, p))
  }

  #reject(result: AcceptResult, reason: RejectReason): void {
    result.rejected.push({ reason })
    if (reason === 'from-the-future') this.counters.fromTheFuture++
    if (reason === 'over-quota') this.counters.overQuota++
  }

  /** Counters, the log and the events of one accept(). */
  #report(result: AcceptResult, source: string): void {
    if (result.rejected.length > 0) {
      this.log.warn({ source, rejected: result.rejected.length, first: result.rejected[0]?.reason }, 'entries rejected')
      this.events.emit('entry:rejected', result.rejected, source)
    }
    if (result.stored.length > 0) this.events.emit('entry:stored', result.stored)
    if (result.conflictSeqs.length > 0) this.events.emit('entry:conflict', result.conflictSeqs)
    this.counters.stored += result.stored.length
    this.counters.duplicates += result.duplicates
    this.counters.conflicts += result.conflicts
    this.counters.rejected += result.rejected.length
  }

  /** An entry this node already holds (its hash matched a stored one): decoded, its signature was checked on arrival. */
  decodeHeld(jws: string, hash: string): SignedEntry {
    return { jws, hash, payload: jwsPayloadOf(jws) as SignedEntry['payload'] }
  }

  /**
   * Proofs of equivocation from a peer (two entries of one publisher that
   * cannot both stand): both must pass every check an entry passes by gossip
   * or pull — signature, membership, clock, quota — before either becomes
   * catalog state; the pair itself is kept as proof (bounded per publisher).
   */
  async acceptProofs(pairs: Array<[string, string]>, source: string): Promise<AcceptResult> {
    const result: AcceptResult = { stored: [], duplicates: 0, conflicts: 0, rejected: [], gaps: [], conflictSeqs: [] }
    for (const [a, b] of pairs) {
      const [ea, eb] = await this.checkAll([a, b])
      if (ea === undefined || eb === undefined || 'reason' in ea || 'reason' in eb || !isProof(ea, eb)) {
        for (const e of [ea, eb]) if (e !== undefined && 'reason' in e) this.#reject(result, e.reason)
        this.log.warn({ source }, 'invalid proof of equivocation dropped')
        continue
      }
      // A proof held already was admitted when it came: peers send theirs on every pull.
      const kept = this.store.recordProof(ea, eb)
      if (kept === 'known') continue
      const before = result.conflictSeqs.length
      this.#admit([ea, eb], result, source)
      if (kept === 'full') result.conflictSeqs.length = before
    }
    this.#report(result, source)
    return result
  }

  /**
   * The publisher's quota, counted by what it costs this node (the entry
   * and the state and search rows it makes, `entryCost`) and by when this
   * node received it — a publisher's `issuedAt` cannot move bytes out of the
   * hourly window. Entries held already pass (nothing new is stored), and so
   * does a second entry for a held sequence number (it replaces, or is kept
   * as proof). Refused entries are not stored and not relayed; never a
   * strike against the relaying peer.
   */
  #withinLimits(valid: SignedEntry[], result: AcceptResult): SignedEntry[] {
    const now = Date.now()
    const usage = new Map<string, { entries: number; bytes: number; hour: number }>()
    const out: SignedEntry[] = []
    for (const e of valid) {
      const p = e.payload
      if (p.publisher === this.self || this.store.hashAt(p.publisher, p.seq) !== undefined) {
        out.push(e)
        continue
      }
      let u = usage.get(p.publisher)
      if (u === undefined) {
        const held = this.store.usageOf(p.publisher)
        u = { ...held, hour: this.#recentBytes(p.publisher, now) }
        usage.set(p.publisher, u)
      }
      const cost = entryCost(e)
      if (
        u.entries + 1 > this.limits.maxEntriesPerPublisher ||
        u.bytes + cost > this.limits.maxBytesPerPublisher ||
        u.hour + cost > this.limits.maxBytesPerHour
      ) {
        this.#reject(result, 'over-quota')
        continue
      }
      u.entries++
      u.bytes += cost
      u.hour += cost
      const list = this.#recent.get(p.publisher) ?? []
      list.push({ at: now, bytes: cost })
      this.#recent.set(p.publisher, list)
      out.push(e)
    }
    return out
  }

  /** Bytes of a publisher's entries this node accepted within the last hour. */
  #recentBytes(publisher: string, now: number): number {
    const list = (this.#recent.get(publisher) ?? []).filter(r => r.at > now - HOUR_MS)
    this.#recent.set(publisher, list)
    return list.reduce((n, r) => n + r.bytes, 0)
  }

  /**
   * The admission check without storing: the publisher (header kid, read
   * first) is an active member, and the entry verifies under its registered
   * key. Federated search uses it for the hits other nodes send.
   */
  async check(jws: string): Promise<SignedEntry | Rejection> {
    const member = this.#member(jws)
    if ('reason' in member) return member
    try {
      return this.#inTime(await this.verifier.verify(jws, member.options))
    } catch (err) {
      if (err instanceof InvalidEntryError) return { reason: err.reason }
      throw err
    }
  }

  /** Signed further in the future than the clock skew allows: refused on every way in (pull, gossip, proofs, search hits). */
  #inTime(e: SignedEntry): SignedEntry | Rejection {
    return Date.parse(e.payload.issuedAt) > Date.now() + this.limits.maxClockSkewMs ? { reason: 'from-the-future' } : e
  }

  /**
   * check() for many entries at once: with a pool, the signatures are checked
   * together (node:crypto with cached keys, on workers for large batches)
   * instead of one jose verification after another on the main thread.
   */
  async checkAll(jwsList: string[]): Promise<Array<SignedEntry | Rejection>> {
    return this.pool === undefined ? Promise.all(jwsList.map(async jws => this.check(jws))) : this.#checkBatch(jwsList, this.pool)
  }

  /** The same checks as check(), with every signature of the batch verified by the pool. */
  async #checkBatch(jwsList: string[], pool: SignaturePool): Promise<Array<SignedEntry | Rejection>> {
    const formed = jwsList.map(jws => {
      const member = this.#member(jws)
      if ('reason' in member) return member
      try {
        return this.verifier.checkForm(jws, member.options)
      } catch (err) {
        if (err instanceof InvalidEntryError) return { reason: err.reason }
        throw err
      }
    })
    const pending = formed.flatMap((f, i) => ('reason' in f ? [] : [{ i, entry: f.entry, x: f.publisherJwk.x }]))
    const ok = await pool.verify(
      pending.map(p => {
        const { input, signature } = signatureInputOf(p.entry.jws)
        return [p.x, input, signature]
      })
    )
    const out: Array<SignedEntry | Rejection> = formed.map(f => ('reason' in f ? f : { reason: 'bad-signature' }))
    pending.forEach((p, k) => {
      if (ok[k] === true) out[p.i] = this.#inTime(p.entry)
    })
    return out
  }

  /** The publisher (header kid, read first) must be an active member, or this node. */
  #member(jws: string): { options: { registeredKey?: Participant['publicKeyJwk'] } } | Rejection {
    const publisher = jwsKeyId(jws)
    if (publisher === undefined) return { reason: 'malformed' }
    const member = this.members.get(publisher)
    if (member === undefined && publisher !== this.self) return { reason: 'unregistered-publisher' }
    return { options: member === undefined ? {} : { registeredKey: member.publicKeyJwk } }
  }
}

/**
 * Rejections only a forger (or a broken implementation) causes, whoever
 * relays them: honest nodes verify before relaying, and an entry format
 * change comes with new protocol ids and topic. An unregistered publisher is
 * not among them — participant lists can differ for a while.
 */
export function isProvableForgery(reason: RejectReason): boolean {
  return (
    reason === 'bad-signature' ||
    reason === 'non-canonical' ||
    reason === 'bad-algorithm' ||
    reason === 'publisher-mismatch' ||
    reason === 'malformed'
  )
}

/** Two entries of one publisher that cannot both stand: one sequence number, or a successor naming another predecessor. */
function isProof(a: SignedEntry, b: SignedEntry): boolean {
  if (a.payload.publisher !== b.payload.publisher || a.hash === b.hash) return false
  return a.payload.seq === b.payload.seq || (b.payload.seq === a.payload.seq + 1 && b.payload.prevHash !== a.hash)
}

function maxSeqOf(entries: SignedEntry[], publisher: string): number {
  return entries.reduce((m, e) => (e.payload.publisher === publisher ? Math.max(m, e.payload.seq) : m), 0)
}
