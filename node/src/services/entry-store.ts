import { and, asc, count, eq, gt, inArray, sql } from 'drizzle-orm'
import type { SignedEntry } from '../../../protocol/src/index.js'
import type { NodeDb } from '../db/open.js'
import { datasets, entries, publishers, type PublisherRow } from '../db/schema.js'

export type StoreOutcome = 'stored' | 'duplicate' | 'conflict'

type Tx = Parameters<Parameters<NodeDb['transaction']>[0]>[0]

/**
 * Applies verified entries to the database: the entry log, the current
 * dataset state (newest seq wins, tombstones included) and the per-publisher
 * watermark. The one place that writes entries, for own and synced ones.
 */
export class EntryStore {
  readonly #db: NodeDb

  constructor (db: NodeDb) {
    this.#db = db
  }

  /**
   * Stores entries in one transaction. `duplicate`: already held.
   * `conflict`: another entry holds this publisher's seq (equivocation, or a
   * replay of a different entry): the first one stays.
   */
  store (batch: SignedEntry[], extra?: (tx: Tx) => void): StoreOutcome[] {
    const receivedAt = new Date().toISOString()
    return this.#db.transaction(tx => {
      const touched = new Map<string, number>()
      const outcomes = batch.map(e => {
        const p = e.payload
        if (tx.select({ h: entries.hash }).from(entries).where(eq(entries.hash, e.hash)).get() !== undefined) return 'duplicate'
        const clash = tx.select({ h: entries.hash }).from(entries).where(and(eq(entries.publisher, p.publisher), eq(entries.seq, p.seq))).get()
        if (clash !== undefined) return 'conflict'
        tx.insert(entries).values({
          hash: e.hash, publisher: p.publisher, seq: p.seq, datasetId: p.datasetId,
          tombstone: p.tombstone, issuedAt: p.issuedAt, receivedAt, jws: e.jws
        }).run()
        const state = {
          entryHash: e.hash, seq: p.seq, tombstone: p.tombstone,
          title: p.dataset?.title ?? null, metadata: p.dataset ?? null, issuedAt: p.issuedAt
        }
        // Out-of-order delivery: an older entry never overwrites a newer state.
        tx.insert(datasets).values({ publisher: p.publisher, datasetId: p.datasetId, ...state })
          .onConflictDoUpdate({ target: [datasets.publisher, datasets.datasetId], set: state, setWhere: sql`excluded.seq > ${datasets.seq}` })
          .run()
        touched.set(p.publisher, Math.max(touched.get(p.publisher) ?? 0, p.seq))
        return 'stored' as const
      })
      for (const [publisher, maxSeq] of touched) advanceWatermark(tx, publisher, maxSeq, receivedAt)
      extra?.(tx)
      return outcomes
    }, { behavior: 'immediate' })
  }

  /** Highest contiguous sequence number held per publisher: what a sync request claims. */
  versionVector (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const row of this.#db.select().from(publishers).all()) out[row.peerId] = row.contiguousSeq
    return out
  }

  publisherStates (): PublisherRow[] {
    return this.#db.select().from(publishers).orderBy(asc(publishers.peerId)).all()
  }

  /** JWS of a publisher's entries with seq > afterSeq, in order. */
  entriesAfter (publisher: string, afterSeq: number, limit: number): Array<{ seq: number, jws: string }> {
    return this.#db.select({ seq: entries.seq, jws: entries.jws }).from(entries)
      .where(and(eq(entries.publisher, publisher), gt(entries.seq, afterSeq)))
      .orderBy(asc(entries.seq)).limit(limit).all()
  }

  /** Drops everything of publishers that no longer belong (revoked). Returns entries removed. */
  purgePublishers (peerIds: string[]): number {
    if (peerIds.length === 0) return 0
    return this.#db.transaction(tx => {
      tx.delete(datasets).where(inArray(datasets.publisher, peerIds)).run()
      tx.delete(publishers).where(inArray(publishers.peerId, peerIds)).run()
      return tx.delete(entries).where(inArray(entries.publisher, peerIds)).run().changes
    })
  }

  countEntries (): number {
    return this.#db.select({ n: count() }).from(entries).get()?.n ?? 0
  }

  countDatasets (): number {
    return this.#db.select({ n: count() }).from(datasets).where(eq(datasets.tombstone, false)).get()?.n ?? 0
  }
}

/** Moves contiguousSeq forward over every entry now held without a gap. */
function advanceWatermark (tx: Tx, publisher: string, maxSeq: number, now: string): void {
  const row = tx.select().from(publishers).where(eq(publishers.peerId, publisher)).get()
  let contiguous = row?.contiguousSeq ?? 0
  for (;;) {
    const next = tx.select({ seq: entries.seq }).from(entries)
      .where(and(eq(entries.publisher, publisher), gt(entries.seq, contiguous)))
      .orderBy(asc(entries.seq)).limit(1000).all()
    let advanced = 0
    for (const { seq } of next) {
      if (seq !== contiguous + 1) break
      contiguous = seq
      advanced++
    }
    if (advanced < 1000) break
  }
  const max = Math.max(row?.maxSeq ?? 0, maxSeq)
  tx.insert(publishers).values({ peerId: publisher, contiguousSeq: contiguous, maxSeq: max, updatedAt: now })
    .onConflictDoUpdate({ target: publishers.peerId, set: { contiguousSeq: contiguous, maxSeq: max, updatedAt: now } })
    .run()
}
