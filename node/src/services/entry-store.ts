import { and, asc, count, eq, gt, inArray } from 'drizzle-orm'
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
  /** Grows with every write: caches of derived data (search facets) key on it. */
  version = 0

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
    const st = this.#statements()
    return this.#db.transaction(tx => {
      const touched = new Map<string, number>()
      const outcomes = batch.map((e): StoreOutcome => {
        const p = e.payload
        // Prepared statements: this is the sync hot path (100k entries on a cold start).
        const inserted = st.insertEntry.run(e.hash, p.publisher, p.seq, p.datasetId, p.tombstone ? 1 : 0, p.issuedAt, receivedAt, e.jws).changes
        if (inserted === 0) return st.hasHash.get(e.hash) === undefined ? 'conflict' : 'duplicate'
        // Out-of-order delivery: an older entry never overwrites a newer state.
        st.upsertDataset.run(p.publisher, p.datasetId, e.hash, p.seq, p.tombstone ? 1 : 0, p.dataset?.title ?? null,
          p.dataset === undefined ? null : JSON.stringify(p.dataset), p.issuedAt)
        touched.set(p.publisher, Math.max(touched.get(p.publisher) ?? 0, p.seq))
        return 'stored'
      })
      for (const [publisher, maxSeq] of touched) advanceWatermark(tx, publisher, maxSeq, receivedAt)
      extra?.(tx)
      this.version++
      return outcomes
    }, { behavior: 'immediate' })
  }

  #prepared: ReturnType<EntryStore['prepare']> | undefined

  #statements (): ReturnType<EntryStore['prepare']> {
    this.#prepared ??= this.prepare()
    return this.#prepared
  }

  private prepare () {
    const sqlite = this.#db.$client
    return {
      // OR IGNORE covers both the hash (duplicate) and (publisher, seq) (conflict) constraints.
      insertEntry: sqlite.prepare(`INSERT OR IGNORE INTO entries (hash, publisher, seq, dataset_id, tombstone, issued_at, received_at, jws)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      hasHash: sqlite.prepare('SELECT 1 FROM entries WHERE hash = ?'),
      upsertDataset: sqlite.prepare(`INSERT INTO datasets (publisher, dataset_id, entry_hash, seq, tombstone, title, metadata, issued_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (publisher, dataset_id) DO UPDATE SET entry_hash = excluded.entry_hash, seq = excluded.seq,
          tombstone = excluded.tombstone, title = excluded.title, metadata = excluded.metadata, issued_at = excluded.issued_at
        WHERE excluded.seq > datasets.seq`)
    }
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
    this.version++
    return this.#db.transaction(tx => {
      tx.delete(datasets).where(inArray(datasets.publisher, peerIds)).run()
      tx.delete(publishers).where(inArray(publishers.peerId, peerIds)).run()
      return tx.delete(entries).where(inArray(entries.publisher, peerIds)).run().changes
    })
  }

  receivedAt (hash: string): string | null {
    return this.#db.select({ at: entries.receivedAt }).from(entries).where(eq(entries.hash, hash)).get()?.at ?? null
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
