import { and, asc, count, desc, eq, gt, inArray } from 'drizzle-orm'
import { jwsPayloadOf, type EntryPayload, type SignedEntry } from '@swf/protocol'
import type { NodeDb } from '../db/open.js'
import {
  datasetIndex,
  datasets,
  entries,
  equivocations,
  publishers,
  useCases,
  type DatasetRow,
  type EquivocationRow,
  type PublisherRow
} from '../db/schema.js'

/**
 * `replaced`: a second entry for a held sequence number that wins by the
 * equivocation rule (lower hash) and took the other's place; `conflict`: one
 * that lost. Both leave a proof in `equivocations`.
 */
export type StoreOutcome = 'stored' | 'duplicate' | 'conflict' | 'replaced'

/** A proof kept (`new`), held already (`known`), or not kept: the publisher has MAX_PROOFS_PER_PUBLISHER. */
export type ProofOutcome = 'new' | 'known' | 'full'

/** Held sequence numbers above a publisher's watermark, as inclusive ranges. */
export type SeqRange = [from: number, to: number]

type Tx = Parameters<Parameters<NodeDb['transaction']>[0]>[0]

/**
 * What one entry costs a node's disk, as its publisher's quota counts it:
 * the JWS, the state row that holds its body again as JSON, and the search
 * rows made of that (full text, facets, log), with SQLite's page slack.
 * Measured over large entries (tests/sync/quota-ways-in.test.ts): about
 * 3.4 times the JWS; counting the JWS alone let 28 MB of entries cost 95 MB.
 */
export const DISK_COST_PER_JWS_BYTE = 3.5
export const entryCost = (e: { jws: string }): number => Math.ceil(e.jws.length * DISK_COST_PER_JWS_BYTE)

/** Proofs of equivocation kept per publisher: each holds two entries, and one proves the publisher forked. */
export const MAX_PROOFS_PER_PUBLISHER = 64

/**
 * Applies verified entries to the database: the entry log, the current
 * dataset state (newest seq wins, tombstones included) and the per-publisher
 * watermark. The one place that writes entries, for own and synced ones.
 */
export class EntryStore {
  readonly #db: NodeDb

  constructor(db: NodeDb) {
    this.#db = db
  }

  /**
   * Stores entries in one transaction. `duplicate`: already held.
   * `conflict`: another entry holds this publisher's seq (equivocation, or a
   * replay of a different entry): the first one stays.
   */
  store(batch: SignedEntry[], extra?: (tx: Tx) => void): StoreOutcome[] {
    const receivedAt = new Date().toISOString()
    const st = this.#statements()
    return this.#db.transaction(
      tx => {
        const touched = new Map<string, { maxSeq: number; entries: number; bytes: number }>()
        const touch = (publisher: string, seq: number, entries: number, bytes: number): void => {
          const t = touched.get(publisher) ?? { maxSeq: 0, entries: 0, bytes: 0 }
          touched.set(publisher, { maxSeq: Math.max(t.maxSeq, seq), entries: t.entries + entries, bytes: t.bytes + bytes })
        }
        const outcomes = batch.map((e): StoreOutcome => {
          const p = e.payload
          // Prepared statements: this is the sync hot path (100k entries on a cold start).
          const inserted = st.insertEntry.run(
            e.hash,
            p.publisher,
            p.seq,
            p.datasetId,
            p.tombstone ? 1 : 0,
            p.issuedAt,
            receivedAt,
            e.jws
          ).changes
          if (inserted === 0) {
            if (st.hasHash.get(e.hash) !== undefined) return 'duplicate'
            const outcome = this.#equivocation(e, receivedAt)
            if (outcome === 'replaced') touch(p.publisher, p.seq, 0, 0)
            return outcome
          }
          // Out-of-order delivery: an older entry never overwrites a newer state.
          this.#upsertState(e.hash, p)
          this.#checkChain(e, receivedAt)
          touch(p.publisher, p.seq, 1, entryCost(e))
          return 'stored'
        })
        for (const [publisher, t] of touched) advanceWatermark(tx, publisher, t, receivedAt)
        extra?.(tx)
        return outcomes
      },
      { behavior: 'immediate' }
    )
  }

  /**
   * A valid second entry for a held (publisher, seq): the publisher signed
   * two. Keeps the proof, and applies one rule every node applies alike —
   * the entry with the lower hash stands — so the region converges whatever
   * order the two arrive in. Runs inside store()'s transaction.
   */
  #equivocation(e: SignedEntry, receivedAt: string): 'conflict' | 'replaced' {
    const st = this.#statements()
    const p = e.payload
    const held = st.entryAt.get(p.publisher, p.seq) as { hash: string; jws: string; dataset_id: string } | undefined
    if (held === undefined) return 'conflict'
    const wins = e.hash < held.hash
    const [kept, other] = wins ? [e.jws, held.jws] : [held.jws, e.jws]
    this.#insertProof(p.publisher, p.seq, 'same-seq', kept, other, receivedAt)
    if (!wins) return 'conflict'
    for (const id of [held.dataset_id, p.datasetId]) {
      st.deleteDataset.run(p.publisher, id)
      st.deleteUseCase.run(p.publisher, id)
    }
    st.deleteEntry.run(held.hash)
    st.insertEntry.run(e.hash, p.publisher, p.seq, p.datasetId, p.tombstone ? 1 : 0, p.issuedAt, receivedAt, e.jws)
    st.adjustUsage.run(entryCost(e) - entryCost(held), p.publisher)
    for (const id of new Set([held.dataset_id, p.datasetId])) this.#rebuildState(p.publisher, id)
    return 'replaced'
  }

  /** The state of a key from its newest held entry (after an equivocation replaced one). */
  #rebuildState(publisher: string, datasetId: string): void {
    const st = this.#statements()
    const newest = st.newestEntryOf.get(publisher, datasetId) as { hash: string; jws: string } | undefined
    if (newest === undefined) return
    this.#upsertState(newest.hash, payloadOf(newest.jws))
  }

  /**
   * A key's state row from one of its entries: a dataset's or a use case's
   * (the statements keep the newer state). Datasets and use cases share the
   * publisher's ids: a newer entry of one kind tombstones the other's row.
   */
  #upsertState(hash: string, p: EntryPayload): void {
    const st = this.#statements()
    if (p.kind === 'usecase') {
      const u = p.useCase
      st.upsertUseCase.run(
        p.publisher,
        p.datasetId,
        hash,
        p.seq,
        p.tombstone ? 1 : 0,
        u?.title ?? null,
        u === undefined ? null : JSON.stringify(u),
        u?.takesOver?.publisher ?? null,
        u?.takesOver?.useCaseId ?? null,
        p.issuedAt
      )
      st.tombstoneOlderDataset.run(hash, p.seq, p.issuedAt, p.publisher, p.datasetId, p.seq)
      return
    }
    const dataset = p.dataset === undefined ? null : JSON.stringify(p.dataset)
    st.upsertDataset.run(p.publisher, p.datasetId, hash, p.seq, p.tombstone ? 1 : 0, p.dataset?.title ?? null, dataset, p.issuedAt)
    st.tombstoneOlderUseCase.run(hash, p.seq, p.issuedAt, p.publisher, p.datasetId, p.seq)
  }

  /**
   * prevHash must name the held predecessor, and the held successor must name
   * this entry: otherwise the publisher signed a second history (a fork),
   * and the two entries are the proof.
   */
  #checkChain(e: SignedEntry, receivedAt: string): void {
    const st = this.#statements()
    const p = e.payload
    const before = st.entryAt.get(p.publisher, p.seq - 1) as { hash: string; jws: string } | undefined
    if (before !== undefined && before.hash !== p.prevHash) this.#insertProof(p.publisher, p.seq, 'fork', before.jws, e.jws, receivedAt)
    const after = st.entryAt.get(p.publisher, p.seq + 1) as { hash: string; jws: string } | undefined
    if (after !== undefined && payloadOf(after.jws).prevHash !== e.hash)
      this.#insertProof(p.publisher, p.seq + 1, 'fork', e.jws, after.jws, receivedAt)
  }

  /** A proof row, while the publisher has fewer than MAX_PROOFS_PER_PUBLISHER. */
  #insertProof(publisher: string, seq: number, kind: 'same-seq' | 'fork', a: string, b: string, at: string): ProofOutcome {
    const st = this.#statements()
    if ((st.countProofs.get(publisher) as { n: number }).n >= MAX_PROOFS_PER_PUBLISHER) return 'full'
    return st.insertProof.run(publisher, seq, kind, a, b, at).changes > 0 ? 'new' : 'known'
  }

  /**
   * Proofs for entries that are not stored (the quota refused them): a
   * second entry for a held sequence number, or one whose prevHash names
   * another predecessor than the held one. Returns where the logs part.
   */
  recordProofs(refused: SignedEntry[]): Array<[publisher: string, seq: number]> {
    if (refused.length === 0) return []
    const receivedAt = new Date().toISOString()
    const st = this.#statements()
    return this.#db.transaction(
      () =>
        refused.flatMap((e): Array<[string, number]> => {
          const p = e.payload
          const held = st.entryAt.get(p.publisher, p.seq) as { hash: string; jws: string } | undefined
          if (held !== undefined && held.hash !== e.hash) {
            const [kept, other] = e.hash < held.hash ? [e.jws, held.jws] : [held.jws, e.jws]
            this.#insertProof(p.publisher, p.seq, 'same-seq', kept, other, receivedAt)
            return [[p.publisher, p.seq]]
          }
          if (held === undefined) this.#checkChain(e, receivedAt)
          return []
        }),
      { behavior: 'immediate' }
    )
  }

  /** A proof received from a peer (two verified entries that cannot both stand). */
  recordProof(a: SignedEntry, b: SignedEntry): ProofOutcome {
    const sameSeq = a.payload.seq === b.payload.seq
    const [kept, other] = sameSeq && b.hash < a.hash ? [b, a] : [a, b]
    return this.#insertProof(
      a.payload.publisher,
      b.payload.seq,
      sameSeq ? 'same-seq' : 'fork',
      kept.jws,
      other.jws,
      new Date().toISOString()
    )
  }

  #prepared: ReturnType<EntryStore['prepare']> | undefined

  #statements(): ReturnType<EntryStore['prepare']> {
    this.#prepared ??= this.prepare()
    return this.#prepared
  }

  private prepare() {
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
        WHERE excluded.seq > datasets.seq`),
      entryAt: sqlite.prepare('SELECT hash, jws, dataset_id FROM entries WHERE publisher = ? AND seq = ?'),
      hashAt: sqlite.prepare('SELECT hash FROM entries WHERE publisher = ? AND seq = ?'),
      newestEntryOf: sqlite.prepare('SELECT hash, jws FROM entries WHERE publisher = ? AND dataset_id = ? ORDER BY seq DESC LIMIT 1'),
      deleteEntry: sqlite.prepare('DELETE FROM entries WHERE hash = ?'),
      deleteDataset: sqlite.prepare('DELETE FROM datasets WHERE publisher = ? AND dataset_id = ?'),
      upsertUseCase: sqlite.prepare(`INSERT INTO use_cases (publisher, use_case_id, entry_hash, seq, tombstone, title, body,
          takes_over_publisher, takes_over_id, issued_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (publisher, use_case_id) DO UPDATE SET entry_hash = excluded.entry_hash, seq = excluded.seq,
          tombstone = excluded.tombstone, title = excluded.title, body = excluded.body,
          takes_over_publisher = excluded.takes_over_publisher, takes_over_id = excluded.takes_over_id, issued_at = excluded.issued_at
        WHERE excluded.seq > use_cases.seq`),
      deleteUseCase: sqlite.prepare('DELETE FROM use_cases WHERE publisher = ? AND use_case_id = ?'),
      tombstoneOlderDataset:
        sqlite.prepare(`UPDATE datasets SET tombstone = 1, title = NULL, metadata = NULL, entry_hash = ?, seq = ?, issued_at = ?
        WHERE publisher = ? AND dataset_id = ? AND seq < ? AND tombstone = 0`),
      tombstoneOlderUseCase:
        sqlite.prepare(`UPDATE use_cases SET tombstone = 1, title = NULL, body = NULL, entry_hash = ?, seq = ?, issued_at = ?,
          takes_over_publisher = NULL, takes_over_id = NULL
        WHERE publisher = ? AND use_case_id = ? AND seq < ? AND tombstone = 0`),
      insertProof: sqlite.prepare(
        'INSERT OR IGNORE INTO equivocations (publisher, seq, kind, jws_a, jws_b, detected_at) VALUES (?, ?, ?, ?, ?, ?)'
      ),
      countProofs: sqlite.prepare('SELECT count(*) AS n FROM equivocations WHERE publisher = ?'),
      adjustUsage: sqlite.prepare('UPDATE publishers SET entry_bytes = entry_bytes + ? WHERE peer_id = ?'),
      seqLengths: sqlite.prepare(
        'SELECT seq, length(jws) AS bytes FROM entries WHERE publisher = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?'
      ),
      jwsBetween: sqlite.prepare('SELECT seq, jws FROM entries WHERE publisher = ? AND seq > ? AND seq <= ? ORDER BY seq'),
      // Islands of consecutive sequence numbers above the watermark (gaps and islands).
      heldRanges: sqlite.prepare(`SELECT MIN(seq) AS a, MAX(seq) AS b FROM (
          SELECT seq, seq - ROW_NUMBER() OVER (ORDER BY seq) AS island FROM entries WHERE publisher = ? AND seq > ?
        ) GROUP BY island ORDER BY a LIMIT ?`)
    }
  }

  /**
   * The entries to send after `afterSeq` (up to `upToSeq`), at most `limit`
   * and about `maxBytes` of JWS (always at least one): sizes are read first,
   * so a page never loads more than it sends — 512 entries of 256 KiB would
   * be 128 MiB per sync stream.
   */
  entriesAfterBounded(
    publisher: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
    maxBytes: number
  ): Array<{ seq: number; jws: string }> {
    const st = this.#statements()
    const sizes = st.seqLengths.all(publisher, afterSeq, upToSeq, limit) as Array<{ seq: number; bytes: number }>
    if (sizes.length === 0) return []
    let last = sizes[0]!.seq
    let bytes = sizes[0]!.bytes
    for (const s of sizes.slice(1)) {
      if (bytes + s.bytes > maxBytes) break
      bytes += s.bytes
      last = s.seq
    }
    return st.jwsBetween.all(publisher, afterSeq, last) as Array<{ seq: number; jws: string }>
  }

  /** The hash of the entry held at (publisher, seq), if any (without reading the entry). */
  hashAt(publisher: string, seq: number): string | undefined {
    return (this.#statements().hashAt.get(publisher, seq) as { hash: string } | undefined)?.hash
  }

  /** The entry held at (publisher, seq), if any. */
  entryAt(publisher: string, seq: number): { hash: string; jws: string } | undefined {
    return this.#statements().entryAt.get(publisher, seq) as { hash: string; jws: string } | undefined
  }

  /** Ranges of sequence numbers held above `afterSeq` (what a pull after a gap need not receive again). */
  heldRanges(publisher: string, afterSeq: number, max: number): SeqRange[] {
    return (this.#statements().heldRanges.all(publisher, afterSeq, max) as Array<{ a: number; b: number }>).map(r => [r.a, r.b])
  }

  /** Proofs of equivocation held, oldest first. */
  equivocations(limit = 100): EquivocationRow[] {
    return this.#db.select().from(equivocations).orderBy(asc(equivocations.detectedAt)).limit(limit).all()
  }

  /** Publishers with a proof of equivocation against them, and how many proofs. */
  equivocatingPublishers(): Array<{ publisher: string; proofs: number }> {
    return this.#db
      .select({ publisher: equivocations.publisher, proofs: count() })
      .from(equivocations)
      .groupBy(equivocations.publisher)
      .all()
  }

  /** The state this node holds of a dataset: the newest entry's seq and hash, and whether it is deleted. */
  datasetHead(publisher: string, datasetId: string): { seq: number; hash: string; tombstone: boolean } | undefined {
    return this.#db
      .select({ seq: datasets.seq, hash: datasets.entryHash, tombstone: datasets.tombstone })
      .from(datasets)
      .where(and(eq(datasets.publisher, publisher), eq(datasets.datasetId, datasetId)))
      .get()
  }

  /** A publisher's dataset row (live or tombstone), if held. */
  datasetRow(publisher: string, datasetId: string): DatasetRow | undefined {
    return this.#db
      .select()
      .from(datasets)
      .where(and(eq(datasets.publisher, publisher), eq(datasets.datasetId, datasetId)))
      .get()
  }

  /** A publisher's live datasets by id, `limit` of them after `afterId`. */
  liveDatasetRows(publisher: string, limit = Number.MAX_SAFE_INTEGER, afterId?: string): DatasetRow[] {
    return this.#db
      .select()
      .from(datasets)
      .where(
        and(
          eq(datasets.publisher, publisher),
          eq(datasets.tombstone, false),
          afterId === undefined ? undefined : gt(datasets.datasetId, afterId)
        )
      )
      .orderBy(asc(datasets.datasetId))
      .limit(limit)
      .all()
  }

  countLiveDatasets(publisher: string): number {
    return (
      this.#db
        .select({ n: count() })
        .from(datasets)
        .where(and(eq(datasets.publisher, publisher), eq(datasets.tombstone, false)))
        .get()?.n ?? 0
    )
  }

  /** The entry with this hash, if held. */
  entryByHash(hash: string): { hash: string; jws: string } | undefined {
    return this.#db.select({ hash: entries.hash, jws: entries.jws }).from(entries).where(eq(entries.hash, hash)).get()
  }

  /** A publisher's newest entry: sequence number and hash, or seq 0 before the first. */
  headOf(publisher: string): { seq: number; hash: string | null } {
    return (
      this.#db
        .select({ seq: entries.seq, hash: entries.hash })
        .from(entries)
        .where(eq(entries.publisher, publisher))
        .orderBy(desc(entries.seq))
        .limit(1)
        .get() ?? { seq: 0, hash: null }
    )
  }

  /** Entries and bytes held of a publisher (its quota usage). */
  usageOf(publisher: string): { entries: number; bytes: number } {
    const row = this.#db
      .select({ entries: publishers.entryCount, bytes: publishers.entryBytes })
      .from(publishers)
      .where(eq(publishers.peerId, publisher))
      .get()
    return row ?? { entries: 0, bytes: 0 }
  }

  /** Highest contiguous sequence number held per publisher: what a sync request claims. */
  versionVector(states: PublisherRow[] = this.#db.select().from(publishers).all()): Record<string, number> {
    return Object.fromEntries(states.map(row => [row.peerId, row.contiguousSeq]))
  }

  publisherStates(): PublisherRow[] {
    return this.#db.select().from(publishers).orderBy(asc(publishers.peerId)).all()
  }

  /**
   * Drops everything of publishers that no longer belong (revoked): every
   * kind's state (its rows reference their entries), then the entries.
   * Returns entries removed.
   */
  purgePublishers(peerIds: string[]): number {
    if (peerIds.length === 0) return 0
    return this.#db.transaction(tx => {
      tx.delete(useCases).where(inArray(useCases.publisher, peerIds)).run()
      tx.delete(datasets).where(inArray(datasets.publisher, peerIds)).run()
      tx.delete(publishers).where(inArray(publishers.peerId, peerIds)).run()
      tx.delete(equivocations).where(inArray(equivocations.publisher, peerIds)).run()
      return tx.delete(entries).where(inArray(entries.publisher, peerIds)).run().changes
    })
  }

  receivedAt(hash: string): string | null {
    return this.#db.select({ at: entries.receivedAt }).from(entries).where(eq(entries.hash, hash)).get()?.at ?? null
  }

  countEntries(): number {
    return this.#db.select({ n: count() }).from(entries).get()?.n ?? 0
  }

  /** Live datasets: the search tables hold exactly one dataset_index row each (counted from its b-tree, not by a scan of datasets). */
  countDatasets(): number {
    return this.#db.select({ n: count() }).from(datasetIndex).get()?.n ?? 0
  }
}

/** Moves contiguousSeq forward over every entry now held without a gap; counts what was added. */
function advanceWatermark(tx: Tx, publisher: string, added: { maxSeq: number; entries: number; bytes: number }, now: string): void {
  const maxSeq = added.maxSeq
  const row = tx.select().from(publishers).where(eq(publishers.peerId, publisher)).get()
  let contiguous = row?.contiguousSeq ?? 0
  for (;;) {
    const next = tx
      .select({ seq: entries.seq })
      .from(entries)
      .where(and(eq(entries.publisher, publisher), gt(entries.seq, contiguous)))
      .orderBy(asc(entries.seq))
      .limit(1000)
      .all()
    let advanced = 0
    for (const { seq } of next) {
      if (seq !== contiguous + 1) break
      contiguous = seq
      advanced++
    }
    if (advanced < 1000) break
  }
  const max = Math.max(row?.maxSeq ?? 0, maxSeq)
  const entryCount = (row?.entryCount ?? 0) + added.entries
  const entryBytes = (row?.entryBytes ?? 0) + added.bytes
  tx.insert(publishers)
    .values({ peerId: publisher, contiguousSeq: contiguous, maxSeq: max, updatedAt: now, entryCount, entryBytes })
    .onConflictDoUpdate({
      target: publishers.peerId,
      set: { contiguousSeq: contiguous, maxSeq: max, updatedAt: now, entryCount, entryBytes }
    })
    .run()
}

/** The payload of an entry held (verified when it was stored). */
const payloadOf = (jws: string): EntryPayload => jwsPayloadOf(jws) as EntryPayload
