import type { Logger } from 'pino'
import { InvalidEntryError, jwsKeyId, signatureInputOf, type EntryVerifier, type SignedEntry } from '../../../protocol/src/index.js'
import type { Participant } from '../../../protocol/src/index.js'
import type { EntryStore } from './entry-store.js'
import type { SignaturePool } from './signature-pool.js'

export interface Membership {
  get: (peerId: string) => Participant | undefined
}

export interface AcceptResult {
  stored: SignedEntry[]
  duplicates: number
  conflicts: number
  rejected: Array<{ reason: string }>
  /** Publishers whose watermark now trails an entry held: something is missing. */
  gaps: string[]
}

export interface AcceptorCounters {
  stored: number
  duplicates: number
  conflicts: number
  rejected: number
}

/**
 * Admits entries that arrive from other nodes (gossip or pull): signature by
 * the publisher's registered key, publisher an active participant, not a
 * replay; then stores them. Nothing that fails a check is stored.
 */
export class EntryAcceptor {
  readonly counters: AcceptorCounters = { stored: 0, duplicates: 0, conflicts: 0, rejected: 0 }
  /** Called with the entries each accept() stored (mirroring listens here). */
  onStored: ((entries: SignedEntry[]) => void) | undefined

  constructor (
    private readonly store: EntryStore,
    private readonly members: Membership,
    private readonly verifier: EntryVerifier,
    private readonly self: string,
    private readonly log: Logger,
    /** When given, the signatures of a batch are verified on worker threads. */
    private readonly pool?: SignaturePool
  ) {}

  async accept (jwsList: string[], source: string): Promise<AcceptResult> {
    const result: AcceptResult = { stored: [], duplicates: 0, conflicts: 0, rejected: [], gaps: [] }
    const checked = this.pool === undefined ? await Promise.all(jwsList.map(async jws => this.check(jws))) : await this.#checkBatch(jwsList, this.pool)
    const valid: SignedEntry[] = []
    for (const c of checked) {
      if ('reason' in c) result.rejected.push(c)
      else valid.push(c)
    }
    if (valid.length > 0) {
      const outcomes = this.store.store(valid)
      outcomes.forEach((o, i) => {
        if (o === 'stored') result.stored.push(valid[i]!)
        else if (o === 'duplicate') result.duplicates++
        else {
          result.conflicts++
          this.log.warn({ source, publisher: valid[i]!.payload.publisher, seq: valid[i]!.payload.seq, hash: valid[i]!.hash }, 'second entry for a held sequence number ignored (equivocation or replay)')
        }
      })
      const vv = this.store.versionVector()
      result.gaps = [...new Set(result.stored.map(e => e.payload.publisher))].filter(p => (vv[p] ?? 0) < maxSeqOf(result.stored, p))
    }
    if (result.rejected.length > 0) {
      this.log.warn({ source, rejected: result.rejected.length, first: result.rejected[0]?.reason }, 'entries rejected')
    }
    if (result.stored.length > 0) this.onStored?.(result.stored)
    this.counters.stored += result.stored.length
    this.counters.duplicates += result.duplicates
    this.counters.conflicts += result.conflicts
    this.counters.rejected += result.rejected.length
    return result
  }

  /**
   * The admission check without storing: the publisher (header kid, read
   * first) is an active member, and the entry verifies under its registered
   * key. Federated search uses it for the hits other nodes send.
   */
  async check (jws: string): Promise<SignedEntry | { reason: string }> {
    const member = this.#member(jws)
    if ('reason' in member) return member
    try {
      return await this.verifier.verify(jws, member.options)
    } catch (err) {
      if (err instanceof InvalidEntryError) return { reason: err.reason }
      throw err
    }
  }

  /** The same checks as check(), with every signature of the batch verified by the pool. */
  async #checkBatch (jwsList: string[], pool: SignaturePool): Promise<Array<SignedEntry | { reason: string }>> {
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
    const pending = formed.flatMap((f, i) => 'reason' in f ? [] : [{ i, entry: f.entry, x: f.publisherJwk.x }])
    const ok = await pool.verify(pending.map(p => {
      const { input, signature } = signatureInputOf(p.entry.jws)
      return [p.x, input, signature]
    }))
    const out: Array<SignedEntry | { reason: string }> = formed.map(f => 'reason' in f ? f : { reason: 'bad-signature' })
    pending.forEach((p, k) => { if (ok[k] === true) out[p.i] = p.entry })
    return out
  }

  /** The publisher (header kid, read first) must be an active member, or this node. */
  #member (jws: string): { options: { registeredKey?: Participant['publicKeyJwk'] } } | { reason: string } {
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
export function isProvableForgery (reason: string): boolean {
  return reason === 'bad-signature' || reason === 'non-canonical' || reason === 'bad-algorithm' || reason === 'publisher-mismatch' || reason === 'malformed'
}

function maxSeqOf (entries: SignedEntry[], publisher: string): number {
  return entries.reduce((m, e) => e.payload.publisher === publisher ? Math.max(m, e.payload.seq) : m, 0)
}
