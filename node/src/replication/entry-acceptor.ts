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
import type { EntryStore } from '../services/entry-store.js'
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
  maxBytesPerPublisher: 256 * 1024 * 1024,
  maxBytesPerHour: 32 * 1024 * 1024,
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
}

export interface AcceptorEvents {
  /** Entries now held that were not: from one accept() or one proof of equivocation. */
  'entry:stored': [entries: SignedEntry[]]
  /** Entries one accept() refused, with the peer or path they came from (`gossip:<peer>`, `sync:<peer>`). */
  'entry:rejected': [rejections: Rejection[], source: string]
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
  /** Per publisher: (issuedAt, bytes) of entries accepted that were signed within the last hour. */
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
    const result: AcceptResult = { stored: [], duplicates: 0, conflicts: 0, rejected: [], gaps: [] }
    // An anti-entropy pull that found nothing new: no transaction, no events.
    if (jwsList.length === 0) return result
    const checked = await this.checkAll(jwsList)
    const valid: SignedEntry[] = []
    for (const c of checked) {
      if ('reason' in c) result.rejected.push(c)
      else valid.push(c)
    }
    const admitted = this.#withinLimits(valid, result)
    if (admitted.length > 0) {
      const outcomes = this.store.store(admitted)
      outcomes.forEach((o, i) => {
        const e = admitted[i]!
        if (o === 'stored' || o === 'replaced') result.stored.push(e)
        else if (o === 'duplicate') result.duplicates++
        if (o === 'conflict' || o === 'replaced') {
          result.conflicts++
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
    if (result.rejected.length > 0) {
      this.log.warn({ source, rejected: result.rejected.length, first: result.rejected[0]?.reason }, 'entries rejected')
      this.events.emit('entry:rejected', result.rejected, source)
    }
    if (result.stored.length > 0) this.events.emit('entry:stored', result.stored)
    this.counters.stored += result.stored.length
    this.counters.duplicates += result.duplicates
    this.counters.conflicts += result.conflicts
    this.counters.rejected += result.rejected.length
    return result
  }

  /** An entry this node already holds (its hash matched a stored one): decoded, its signature was checked on arrival. */
  decodeHeld(jws: string, hash: string): SignedEntry {
    return { jws, hash, payload: jwsPayloadOf(jws) as SignedEntry['payload'] }
  }

  /**
   * Proofs of equivocation from a peer (two entries of one publisher that
   * cannot both stand): both must verify; then storing them lets the store
   * keep the proof and apply the same rule as on first sight.
   */
  async acceptProofs(pairs: Array<[string, string]>, source: string): Promise<void> {
    for (const [a, b] of pairs) {
      const [ea, eb] = [await this.check(a), await this.check(b)]
      if ('reason' in ea || 'reason' in eb || ea.payload.publisher !== eb.payload.publisher || ea.hash === eb.hash) {
        this.log.warn({ source }, 'invalid proof of equivocation dropped')
        continue
      }
      const sameSeq = ea.payload.seq === eb.payload.seq
      const fork = eb.payload.seq === ea.payload.seq + 1 && eb.payload.prevHash !== ea.hash
      if (!sameSeq && !fork) continue
      const outcomes = this.store.store([ea, eb])
      const stored = [ea, eb].filter((_, i) => outcomes[i] === 'stored' || outcomes[i] === 'replaced')
      if (stored.length > 0) this.events.emit('entry:stored', stored)
    }
  }

  /**
   * Clock skew and the publisher's quota: entries signed in the future, or
   * beyond what one publisher may make every node hold, are refused — not
   * stored and not relayed; never a strike against the relaying peer.
   */
  #withinLimits(valid: SignedEntry[], result: AcceptResult): SignedEntry[] {
    const now = Date.now()
    const usage = new Map<string, { entries: number; bytes: number; hour: number }>()
    const out: SignedEntry[] = []
    for (const e of valid) {
      const p = e.payload
      const issued = Date.parse(p.issuedAt)
      if (issued > now + this.limits.maxClockSkewMs) {
        result.rejected.push({ reason: 'from-the-future' })
        this.counters.fromTheFuture++
        continue
      }
      if (p.publisher === this.self) {
        out.push(e)
        continue
      }
      let u = usage.get(p.publisher)
      if (u === undefined) {
        const held = this.store.usageOf(p.publisher)
        u = { ...held, hour: this.#recentBytes(p.publisher, now) }
        usage.set(p.publisher, u)
      }
      const recent = issued > now - HOUR_MS
      if (
        u.entries + 1 > this.limits.maxEntriesPerPublisher ||
        u.bytes + e.jws.length > this.limits.maxBytesPerPublisher ||
        (recent && u.hour + e.jws.length > this.limits.maxBytesPerHour)
      ) {
        result.rejected.push({ reason: 'over-quota' })
        this.counters.overQuota++
        continue
      }
      u.entries++
      u.bytes += e.jws.length
      if (recent) {
        u.hour += e.jws.length
        const list = this.#recent.get(p.publisher) ?? []
        list.push({ at: issued, bytes: e.jws.length })
        this.#recent.set(p.publisher, list)
      }
      out.push(e)
    }
    return out
  }

  /** Bytes of a publisher's entries signed within the last hour that this node accepted. */
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
      return await this.verifier.verify(jws, member.options)
    } catch (err) {
      if (err instanceof InvalidEntryError) return { reason: err.reason }
      throw err
    }
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
      if (ok[k] === true) out[p.i] = p.entry
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

function maxSeqOf(entries: SignedEntry[], publisher: string): number {
  return entries.reduce((m, e) => (e.payload.publisher === publisher ? Math.max(m, e.payload.seq) : m), 0)
}
