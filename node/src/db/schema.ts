import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

// The single source of truth for the node's tables. Migrations in
// node/drizzle/ are generated from this file (`npm run db:generate`).

/** Every signed catalog entry the node knows: its own and, later, synced ones. */
export const entries = sqliteTable(
  'entries',
  {
    /** SHA-256 (hex) of the compact JWS. */
    hash: text('hash').primaryKey(),
    publisher: text('publisher').notNull(),
    seq: integer('seq').notNull(),
    datasetId: text('dataset_id').notNull(),
    tombstone: integer('tombstone', { mode: 'boolean' }).notNull(),
    issuedAt: text('issued_at').notNull(),
    receivedAt: text('received_at').notNull(),
    jws: text('jws').notNull()
  },
  t => [
    // One entry per (publisher, seq): a second one would be equivocation.
    uniqueIndex('entries_publisher_seq').on(t.publisher, t.seq),
    index('entries_publisher_dataset').on(t.publisher, t.datasetId)
  ]
)

/** The current state of each dataset: the newest entry per (publisher, dataset id). */
export const datasets = sqliteTable(
  'datasets',
  {
    /**
     * The search index's key (FTS5 rowid, in-memory bitsets): an integer, never
     * reused (AUTOINCREMENT), kept when a dataset gets a newer version.
     */
    ds: integer('ds').primaryKey({ autoIncrement: true }),
    publisher: text('publisher').notNull(),
    datasetId: text('dataset_id').notNull(),
    entryHash: text('entry_hash')
      .notNull()
      .references(() => entries.hash),
    seq: integer('seq').notNull(),
    /** Deleted datasets stay as rows, so an older entry cannot bring them back. */
    tombstone: integer('tombstone', { mode: 'boolean' }).notNull(),
    title: text('title'),
    /** The DCAT-AP.de metadata as signed (JSON), null for tombstones. */
    metadata: text('metadata', { mode: 'json' }),
    issuedAt: text('issued_at').notNull()
  },
  t => [
    uniqueIndex('datasets_key').on(t.publisher, t.datasetId),
    // Newest-first listing of the live catalog without a sort (search without filters).
    index('datasets_live_issued').on(t.tombstone, t.issuedAt, t.publisher, t.datasetId)
  ]
)

/**
 * The current state of every use case held (own and synced): the newest entry
 * per (publisher, id), kind "usecase". Datasets and use cases share a
 * publisher's id space: a newer entry of the other kind tombstones the row.
 */
export const useCases = sqliteTable(
  'use_cases',
  {
    publisher: text('publisher').notNull(),
    useCaseId: text('use_case_id').notNull(),
    entryHash: text('entry_hash')
      .notNull()
      .references(() => entries.hash),
    seq: integer('seq').notNull(),
    tombstone: integer('tombstone', { mode: 'boolean' }).notNull(),
    title: text('title'),
    /** The use case as signed (JSON), null for tombstones. */
    body: text('body', { mode: 'json' }),
    /** A take-over: the use case it takes over. */
    takesOverPublisher: text('takes_over_publisher'),
    takesOverId: text('takes_over_id'),
    issuedAt: text('issued_at').notNull()
  },
  t => [primaryKey({ columns: [t.publisher, t.useCaseId] }), index('use_cases_takes_over').on(t.takesOverPublisher, t.takesOverId)]
)
export type UseCaseRow = typeof useCases.$inferSelect

/** Files held in the content-addressed blob store. */
export const blobs = sqliteTable('blobs', {
  sha256: text('sha256').primaryKey(),
  byteSize: integer('byte_size').notNull(),
  storedAt: text('stored_at').notNull()
})

export type EntryRow = typeof entries.$inferSelect
export type DatasetRow = typeof datasets.$inferSelect
export type BlobRow = typeof blobs.$inferSelect

/** Per publisher: what the node holds. contiguousSeq is the sync watermark. */
export const publishers = sqliteTable('publishers', {
  peerId: text('peer_id').primaryKey(),
  /** Every entry 1..contiguousSeq is held; gossip may deliver later ones first. */
  contiguousSeq: integer('contiguous_seq').notNull(),
  /** Highest sequence number held (≥ contiguousSeq). */
  maxSeq: integer('max_seq').notNull(),
  updatedAt: text('updated_at').notNull(),
  /** Entries and bytes of JWS held of this publisher: what its quota counts. */
  entryCount: integer('entry_count').notNull().default(0),
  entryBytes: integer('entry_bytes').notNull().default(0)
})

/**
 * Signed proof that a publisher equivocated: two entries it signed that
 * cannot both be in its log — two for one sequence number (`same-seq`), or
 * one whose prevHash names another predecessor than the one held (`fork`).
 * Any node can check the proof with the publisher's key alone.
 */
export const equivocations = sqliteTable(
  'equivocations',
  {
    publisher: text('publisher').notNull(),
    seq: integer('seq').notNull(),
    kind: text('kind', { enum: ['same-seq', 'fork'] }).notNull(),
    /** The entry kept (for same-seq: the lower hash) and the other one. */
    jwsA: text('jws_a').notNull(),
    jwsB: text('jws_b').notNull(),
    detectedAt: text('detected_at').notNull()
  },
  t => [primaryKey({ columns: [t.publisher, t.seq, t.kind] })]
)

export type EquivocationRow = typeof equivocations.$inferSelect

export type PublisherRow = typeof publishers.$inferSelect

// Search. These two tables and the FTS5 table `dataset_fts` (which drizzle
// cannot declare; see migration 0003) are filled by triggers on `datasets`,
// so every write path keeps them in step inside its own transaction.

/** Filterable columns of each live dataset. */
export const datasetIndex = sqliteTable(
  'dataset_index',
  {
    /** datasets.ds (null only in rows older than the integer key, none after migration 0008). */
    ds: integer('ds'),
    publisher: text('publisher').notNull(),
    datasetId: text('dataset_id').notNull(),
    ags: text('ags'),
    license: text('license'),
    modified: text('modified'),
    minLon: real('min_lon'),
    minLat: real('min_lat'),
    maxLon: real('max_lon'),
    maxLat: real('max_lat')
  },
  t => [primaryKey({ columns: [t.publisher, t.datasetId] }), index('dataset_index_bbox').on(t.minLon, t.maxLon)]
)

/** Multi-valued facets of each live dataset: theme, keyword (folded), license, format. */
export const datasetTerms = sqliteTable(
  'dataset_terms',
  {
    ds: integer('ds'),
    publisher: text('publisher').notNull(),
    datasetId: text('dataset_id').notNull(),
    kind: text('kind', { enum: ['theme', 'keyword', 'license', 'format'] }).notNull(),
    value: text('value').notNull()
  },
  t => [index('dataset_terms_kind_value').on(t.kind, t.value, t.ds), index('dataset_terms_dataset').on(t.publisher, t.datasetId)]
)

/**
 * Which datasets changed since the in-memory search index last read them
 * (filled by the `datasets` triggers; the index reads and trims it).
 */
export const searchLog = sqliteTable('search_log', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  ds: integer('ds').notNull()
})

/** Own datasets that came from an import, and from which source: what --prune may delete. */
export const importedDatasets = sqliteTable(
  'imported_datasets',
  {
    datasetId: text('dataset_id').primaryKey(),
    /** The catalog the dataset came from (URL, or "file:<name>"). */
    source: text('source').notNull(),
    /** The dataset's IRI in that catalog. */
    sourceIri: text('source_iri').notNull(),
    importedAt: text('imported_at').notNull()
  },
  t => [index('imported_datasets_source').on(t.source)]
)
