import { and, asc, count, eq, gt, gte, inArray, or, type SQL } from 'drizzle-orm'
import { filesOfEntry, type DatasetMetadata, type UseCase } from '@swf/protocol'
import type { NodeDb } from '../db/open.js'
import { datasets, entries, useCases } from '../db/schema.js'
import { NotFoundError, ValidationError } from '../errors.js'
import type { Page } from './catalog-service.js'

export interface RegionalDatasetView {
  dataset: DatasetMetadata
  entry: { publisher: string; seq: number; hash: string; issuedAt: string; receivedAt: string }
  publisher: { peerId: string; kommune: string | null }
}

/** Resolves a publisher's Kommune name (from the participant list, or this node's own config). */
export type KommuneOf = (peerId: string) => string | null

/** Everything the node holds, own and synced: read-only. */
export class RegionalCatalog {
  constructor(
    private readonly db: NodeDb,
    readonly kommuneOf: KommuneOf
  ) {}

  list(limit: number, cursor?: string, publisher?: string): Page<RegionalDatasetView> {
    const after = cursor === undefined ? undefined : parseCursor(cursor)
    const conds: Array<SQL | undefined> = [eq(datasets.tombstone, false)]
    if (publisher !== undefined) conds.push(eq(datasets.publisher, publisher))
    if (after !== undefined) {
      conds.push(
        or(gt(datasets.publisher, after.publisher), and(eq(datasets.publisher, after.publisher), gt(datasets.datasetId, after.id)))
      )
    }
    const rows = this.db
      .select({ d: datasets, receivedAt: entries.receivedAt })
      .from(datasets)
      .innerJoin(entries, eq(entries.hash, datasets.entryHash))
      .where(and(...conds))
      .orderBy(asc(datasets.publisher), asc(datasets.datasetId))
      .limit(limit + 1)
      .all()
    const items = rows.slice(0, limit).map(r => this.#view(r.d, r.receivedAt))
    const last = items[items.length - 1]
    return { items, nextCursor: rows.length > limit && last !== undefined ? `${last.entry.publisher}/${last.dataset.id}` : null }
  }

  /** Keys of live datasets, ordered by publisher and id (CKAN's package_list). */
  liveKeys(limit = Number.MAX_SAFE_INTEGER, offset = 0): Array<{ publisher: string; datasetId: string }> {
    return this.db
      .select({ publisher: datasets.publisher, datasetId: datasets.datasetId })
      .from(datasets)
      .where(eq(datasets.tombstone, false))
      .orderBy(asc(datasets.publisher), asc(datasets.datasetId))
      .limit(limit)
      .offset(offset)
      .all()
  }

  /** The live datasets of some publishers (a mirror's catch-up). */
  liveDatasetsOf(publishers: string[]): Array<{ publisher: string; dataset: DatasetMetadata }> {
    if (publishers.length === 0) return []
    return this.db
      .select({ publisher: datasets.publisher, metadata: datasets.metadata })
      .from(datasets)
      .where(and(eq(datasets.tombstone, false), inArray(datasets.publisher, publishers)))
      .all()
      .map(r => ({ publisher: r.publisher, dataset: r.metadata as DatasetMetadata }))
  }

  /** The files every live entry of these publishers pins, of every kind (dataset distributions, use case images). */
  liveFilesOf(publishers: string[]): Array<{ publisher: string; sha256: string; byteSize: number }> {
    if (publishers.length === 0) return []
    const ds = this.liveDatasetsOf(publishers).map(r => ({ publisher: r.publisher, body: { dataset: r.dataset } }))
    const uc = this.db
      .select({ publisher: useCases.publisher, body: useCases.body })
      .from(useCases)
      .where(and(eq(useCases.tombstone, false), inArray(useCases.publisher, publishers)))
      .all()
      .map(r => ({ publisher: r.publisher, body: { useCase: r.body as UseCase } }))
    return [...ds, ...uc].flatMap(r => filesOfEntry(r.body).map(f => ({ publisher: r.publisher, ...f })))
  }

  /** One page of live datasets in a stable order, for catalog exports. */
  exportPage(opts: { publisher?: string; modifiedSince?: string; offset: number; limit: number }): {
    items: RegionalDatasetView[]
    total: number
  } {
    const conds: Array<SQL | undefined> = [eq(datasets.tombstone, false)]
    if (opts.publisher !== undefined) conds.push(eq(datasets.publisher, opts.publisher))
    if (opts.modifiedSince !== undefined) conds.push(gte(datasets.issuedAt, opts.modifiedSince))
    const where = and(...conds)
    const total = this.db.select({ n: count() }).from(datasets).where(where).get()?.n ?? 0
    const rows = this.db
      .select({ d: datasets, receivedAt: entries.receivedAt })
      .from(datasets)
      .innerJoin(entries, eq(entries.hash, datasets.entryHash))
      .where(where)
      .orderBy(asc(datasets.publisher), asc(datasets.datasetId))
      .limit(opts.limit)
      .offset(opts.offset)
      .all()
    return { items: rows.map(r => this.#view(r.d, r.receivedAt)), total }
  }

  get(publisher: string, id: string): RegionalDatasetView {
    const r = this.db
      .select({ d: datasets, receivedAt: entries.receivedAt })
      .from(datasets)
      .innerJoin(entries, eq(entries.hash, datasets.entryHash))
      .where(and(eq(datasets.publisher, publisher), eq(datasets.datasetId, id), eq(datasets.tombstone, false)))
      .get()
    if (r === undefined) throw new NotFoundError(`no dataset "${id}" of publisher ${publisher}`)
    return this.#view(r.d, r.receivedAt)
  }

  #view(d: typeof datasets.$inferSelect, receivedAt: string): RegionalDatasetView {
    return {
      dataset: d.metadata as DatasetMetadata,
      entry: { publisher: d.publisher, seq: d.seq, hash: d.entryHash, issuedAt: d.issuedAt, receivedAt },
      publisher: { peerId: d.publisher, kommune: this.kommuneOf(d.publisher) }
    }
  }
}

function parseCursor(cursor: string): { publisher: string; id: string } {
  const i = cursor.indexOf('/')
  if (i <= 0) throw new ValidationError('cursor', 'cursor is not one this API returned')
  return { publisher: cursor.slice(0, i), id: cursor.slice(i + 1) }
}
