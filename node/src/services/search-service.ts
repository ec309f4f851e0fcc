import { foldGerman, toFtsQuery, type DataQuery, type DatasetMetadata, type SearchQuery } from '@swf/protocol'
import type { Statement } from 'better-sqlite3'
import type { NodeDb } from '../db/open.js'
import { ValidationError } from '../errors.js'

export interface Provenance {
  publisher: string
  kommune: string | null
  seq: number
  entryHash: string
  /** When the publisher signed the entry. */
  signedAt: string
  /** When this node stored it (null for hits it does not hold). */
  receivedAt: string | null
  /** Whether the publisher's node is reachable from here right now. */
  publisherOnline: boolean
}

export interface SearchHit {
  dataset: DatasetMetadata
  /** Relevance, higher is better (negated bm25); null without query text. */
  score: number | null
  provenance: Provenance
}

export type TermKind = 'theme' | 'keyword' | 'license' | 'format'

/** A filter beyond the search API's: exclusions and time ranges (for CKAN's fq). */
export interface ListFilter {
  /** An FTS5 expression over title, description, keywords. */
  fts?: string
  /** Each entry must match one of its values. */
  include: Array<{ kind: TermKind | 'publisher'; values: string[] }>
  /** No entry may match any of its values. */
  exclude: Array<{ kind: TermKind | 'publisher'; values: string[] }>
  bbox?: [number, number, number, number]
  /** The dataset's own dct:modified. */
  modifiedSince?: string
  /** When this node stored the dataset's current version (ISO, inclusive). */
  receivedAt?: { from?: string; to?: string }
  /** The dataset's dct:issued, else its signing time. */
  createdAt?: { from?: string; to?: string }
  /** Matches nothing. */
  none?: boolean
}

export type ListOrder = Array<{ key: 'score' | 'received' | 'created' | 'title' | 'id' | 'name'; dir: 'asc' | 'desc' }>

export interface FacetCount {
  value: string
  count: number
  label?: string | null
}

export interface SearchResult {
  items: SearchHit[]
  total: number
  facets: { publisher: FacetCount[]; theme: FacetCount[]; license: FacetCount[]; format: FacetCount[] }
  nextCursor: string | null
}

/** A raw hit with its signed entry, for answering federated searches. */
export interface RawHit {
  jws: string
  score: number
}

export interface SearchContext {
  kommuneOf: (peerId: string) => string | null
  isOnline: (peerId: string) => boolean
  /** Publishers registered with this AGS (the AGS filter matches them too). */
  publishersWithAgs: (ags: string) => string[]
  /** Changes whenever the catalog changes (facet cache key). */
  catalogVersion?: () => number
}

// bm25 column weights: title over keywords over description.
const RANK = 'bm25(dataset_fts, 10.0, 1.0, 4.0)'

interface Row {
  publisher: string
  dataset_id: string
  metadata: string
  seq: number
  entry_hash: string
  issued_at: string
  received_at: string
  jws: string
  rank: number | null
}

/**
 * Catalog search over everything the node holds: FTS5 with German folding,
 * filters, facets and a keyset cursor that returns every hit exactly once
 * while the catalog does not change.
 */
export class SearchService {
  constructor(
    private readonly db: NodeDb,
    private readonly ctx: SearchContext
  ) {}

  search(query: SearchQuery, withFacets = true): SearchResult {
    const ranked = query.q !== undefined && toFtsQuery(query.q) !== null
    const unfiltered = !ranked && !hasFilters(query)
    // Unfiltered: walk the newest-first index; otherwise collect the matching
    // keys once, then page, count and facet over those keys only.
    const source = unfiltered ? 'datasets' : this.#collect(query)
    const live = unfiltered ? 'WHERE tombstone = 0' : ''
    const conds: string[] = []
    const params: unknown[] = []
    if (query.cursor !== undefined) {
      const [key, publisher, id] = decodeCursor(query.cursor, ranked)
      conds.push(
        ranked
          ? '(rank > ? OR (rank = ? AND (publisher > ? OR (publisher = ? AND dataset_id > ?))))'
          : '(issued_at < ? OR (issued_at = ? AND (publisher > ? OR (publisher = ? AND dataset_id > ?))))'
      )
      params.push(key, key, publisher, publisher, id)
    }
    const where = [unfiltered ? 'tombstone = 0' : '', ...conds].filter(c => c !== '').join(' AND ')
    const keys = this.#sqlite
      .prepare(
        `SELECT publisher, dataset_id, ${ranked ? 'rank' : 'NULL AS rank'}, issued_at FROM ${source}
      ${where === '' ? '' : `WHERE ${where}`}
      ORDER BY ${ranked ? 'rank ASC' : 'issued_at DESC'}, publisher ASC, dataset_id ASC LIMIT ?`
      )
      .all(...params, query.limit + 1) as Array<{ publisher: string; dataset_id: string; rank: number | null; issued_at: string }>
    const page = keys.slice(0, query.limit)
    const items = page.map(k => this.#hit({ ...(this.#hitRow.get(k.publisher, k.dataset_id) as Row), rank: k.rank }))
    const last = keys.length > query.limit ? page[page.length - 1] : undefined
    const total = (this.#sqlite.prepare(`SELECT COUNT(*) AS n FROM ${source} ${live}`).get() as { n: number }).n
    return {
      items,
      total,
      facets: !withFacets
        ? { publisher: [], theme: [], license: [], format: [] }
        : unfiltered
          ? this.#cachedFacets()
          : this.#facetsOf(source),
      nextCursor: last === undefined ? null : encodeCursor(ranked ? last.rank! : last.issued_at, last.publisher, last.dataset_id)
    }
  }

  #facetCache: { version: number; facets: SearchResult['facets'] } | undefined

  #cachedFacets(): SearchResult['facets'] {
    const version = this.ctx.catalogVersion?.() ?? -1
    if (this.#facetCache === undefined || this.#facetCache.version !== version || version === -1) {
      this.#facetCache = { version, facets: this.#facetsOf('(SELECT publisher, dataset_id FROM datasets WHERE tombstone = 0)') }
    }
    return this.#facetCache.facets
  }

  /** Facet counts over a set of (publisher, dataset_id) keys. */
  #facetsOf(source: string): SearchResult['facets'] {
    // CROSS JOIN keeps SQLite driving from the hits (small) into dataset_terms by key.
    const terms = this.#sqlite
      .prepare(
        `SELECT t.kind, t.value, COUNT(*) AS count FROM ${source} h
      CROSS JOIN dataset_terms t ON t.publisher = h.publisher AND t.dataset_id = h.dataset_id
      WHERE t.kind IN ('theme', 'license', 'format') GROUP BY t.kind, t.value ORDER BY count DESC, t.value ASC`
      )
      .all() as Array<{ kind: string; value: string; count: number }>
    const publishers = this.#sqlite
      .prepare(
        `SELECT h.publisher AS value, COUNT(*) AS count FROM ${source} h GROUP BY h.publisher ORDER BY count DESC, value ASC LIMIT 200`
      )
      .all() as FacetCount[]
    const of = (kind: string): FacetCount[] =>
      terms
        .filter(t => t.kind === kind)
        .slice(0, 50)
        .map(({ value, count }) => ({ value, count }))
    return {
      publisher: publishers.map(p => ({ ...p, label: this.ctx.kommuneOf(p.value) })),
      theme: of('theme'),
      license: of('license'),
      format: of('format')
    }
  }

  /** Fills temp.search_hits with the keys (and sort keys) of every match; returns its name. */
  #collect(query: SearchQuery): string {
    const { where, params, fts } = this.#filter(query)
    this.#sqlite.exec(
      'CREATE TEMP TABLE IF NOT EXISTS search_hits (publisher TEXT, dataset_id TEXT, rank REAL, issued_at TEXT, PRIMARY KEY (publisher, dataset_id)) WITHOUT ROWID'
    )
    this.#sqlite.exec('DELETE FROM temp.search_hits')
    this.#sqlite
      .prepare(
        `INSERT INTO temp.search_hits SELECT d.publisher, d.dataset_id, ${fts !== null ? 'f.rank' : 'NULL'}, d.issued_at
      ${this.#from(fts)} WHERE ${where}`
      )
      .run(...params)
    return 'temp.search_hits'
  }

  /** The best `limit` hits as signed entries, for a federated asker. */
  rawHits(query: SearchQuery): RawHit[] {
    const jws = this.#sqlite.prepare('SELECT jws FROM entries WHERE hash = ?')
    return this.search({ ...query, cursor: undefined }, false).items.map(h => ({
      jws: (jws.get(h.provenance.entryHash) as { jws: string }).jws,
      score: h.score ?? 0
    }))
  }

  get #sqlite() {
    return this.db.$client
  }

  #hitStatement: Statement<[string, string]> | undefined

  /** A live dataset with its entry's times: prepared once, read per hit of every search and list page. */
  get #hitRow(): Statement<[string, string]> {
    this.#hitStatement ??= this.#sqlite.prepare<
      [string, string]
    >(`SELECT d.publisher, d.dataset_id, d.metadata, d.seq, d.entry_hash, d.issued_at, e.received_at, '' AS jws, NULL AS rank
      FROM datasets d JOIN entries e ON e.hash = d.entry_hash WHERE d.publisher = ? AND d.dataset_id = ? AND d.tombstone = 0`)
    return this.#hitStatement
  }

  #from(fts: string | null): string {
    return `FROM datasets d
      JOIN dataset_index i ON i.publisher = d.publisher AND i.dataset_id = d.dataset_id
      ${
        fts === null
          ? ''
          : `JOIN (SELECT publisher, dataset_id, ${RANK} AS rank FROM dataset_fts WHERE dataset_fts MATCH ?) f
        ON f.publisher = d.publisher AND f.dataset_id = d.dataset_id`
      }`
  }

  /**
   * Offset paging with a chosen order (CKAN's package_search start/rows/sort).
   * Orders by `id` or `name` are computed in JS (`keyOf`): they are derived names, not columns.
   */
  list(
    filter: ListFilter,
    offset: number,
    limit: number,
    order: ListOrder,
    keyOf?: (publisher: string, datasetId: string) => { id: string; name: string }
  ): { rows: SearchHit[]; total: number } {
    const { where, params, fts } = this.#where(filter)
    const column = (key: ListOrder[number]['key']): string | null =>
      ({
        score: fts !== null ? 'rank' : null,
        received: 'received_at',
        created: 'created_at',
        title: 'title COLLATE NOCASE',
        id: null,
        name: null
      })[key]
    const inner = `SELECT d.publisher, d.dataset_id, ${fts !== null ? 'f.rank' : 'NULL'} AS rank, e.received_at,
        coalesce(json_extract(d.metadata, '$.issued'), d.issued_at) AS created_at, d.title
      ${this.#from(fts)} JOIN entries e ON e.hash = d.entry_hash WHERE ${where}`
    const total = (this.#sqlite.prepare(`SELECT COUNT(*) AS n ${this.#from(fts)} WHERE ${where}`).get(...params) as { n: number }).n
    let page: Array<{ publisher: string; dataset_id: string; rank: number | null }>
    if (keyOf !== undefined && order.some(o => o.key === 'id' || o.key === 'name')) {
      type Key = {
        publisher: string
        dataset_id: string
        rank: number | null
        received_at: string
        created_at: string
        title: string | null
        id?: string
        name?: string
      }
      const keys = this.#sqlite.prepare(inner).all(...params) as Key[]
      for (const k of keys) Object.assign(k, keyOf(k.publisher, k.dataset_id))
      const field = { score: 'rank', received: 'received_at', created: 'created_at', title: 'title', id: 'id', name: 'name' } as const
      keys.sort((a, b) => {
        for (const o of order) {
          const f = field[o.key]
          // bm25 rank: smaller is better, so "score desc" is rank ascending.
          const dir = (o.dir === 'asc' ? 1 : -1) * (o.key === 'score' ? -1 : 1)
          const x = a[f] ?? ''
          const y = b[f] ?? ''
          const c =
            typeof x === 'number' && typeof y === 'number'
              ? x - y
              : String(x).localeCompare(String(y), 'en', { sensitivity: o.key === 'title' ? 'accent' : 'variant' })
          if (c !== 0) return c * dir
        }
        return a.publisher < b.publisher
          ? -1
          : a.publisher > b.publisher
            ? 1
            : a.dataset_id < b.dataset_id
              ? -1
              : a.dataset_id > b.dataset_id
                ? 1
                : 0
      })
      page = keys.slice(offset, offset + limit)
    } else {
      const orderBy = order
        .map(o => {
          const c = column(o.key)
          if (c === null) return null
          return o.key === 'score' ? `rank ${o.dir === 'desc' ? 'ASC' : 'DESC'}` : `${c} ${o.dir.toUpperCase()}`
        })
        .filter(c => c !== null)
      page = this.#sqlite
        .prepare(
          `SELECT publisher, dataset_id, rank FROM (${inner})
        ORDER BY ${[...orderBy, 'publisher ASC', 'dataset_id ASC'].join(', ')} LIMIT ? OFFSET ?`
        )
        .all(...params, limit, offset) as typeof page
    }
    return { rows: page.map(k => this.#hit({ ...(this.#hitRow.get(k.publisher, k.dataset_id) as Row), rank: k.rank })), total }
  }

  /**
   * A publisher's live datasets a data query reaches: by id, theme, keyword, and
   * extent (a dataset without a known extent may still hold matching points).
   */
  ownDatasetsFor(publisher: string, query: Pick<DataQuery, 'datasetId' | 'theme' | 'keyword' | 'bbox'>): DatasetMetadata[] {
    const conds = ['d.publisher = ?', 'd.tombstone = 0']
    const params: unknown[] = [publisher]
    if (query.datasetId !== undefined) {
      conds.push('d.dataset_id = ?')
      params.push(query.datasetId)
    }
    if (query.theme !== undefined) {
      conds.push(
        "EXISTS (SELECT 1 FROM dataset_terms t WHERE t.publisher = d.publisher AND t.dataset_id = d.dataset_id AND t.kind = 'theme' AND t.value = ?)"
      )
      params.push(query.theme)
    }
    if (query.keyword !== undefined) {
      conds.push(
        "EXISTS (SELECT 1 FROM dataset_terms t WHERE t.publisher = d.publisher AND t.dataset_id = d.dataset_id AND t.kind = 'keyword' AND t.value = ?)"
      )
      params.push(foldGerman(query.keyword).toLowerCase())
    }
    if (query.bbox !== undefined) {
      const [minLon, minLat, maxLon, maxLat] = query.bbox
      conds.push('(i.min_lon IS NULL OR (i.max_lon >= ? AND i.min_lon <= ? AND i.max_lat >= ? AND i.min_lat <= ?))')
      params.push(minLon, maxLon, minLat, maxLat)
    }
    const rows = this.#sqlite
      .prepare(
        `SELECT d.metadata FROM datasets d
      LEFT JOIN dataset_index i ON i.publisher = d.publisher AND i.dataset_id = d.dataset_id
      WHERE ${conds.join(' AND ')} ORDER BY d.dataset_id`
      )
      .all(...params) as Array<{ metadata: string }>
    return rows.map(r => JSON.parse(r.metadata) as DatasetMetadata)
  }

  /** One live dataset as a hit (no score). */
  hit(publisher: string, datasetId: string): SearchHit | undefined {
    const row = this.#hitRow.get(publisher, datasetId) as Row | undefined
    return row === undefined ? undefined : this.#hit(row)
  }

  /** Counts per value of a facet over all hits of a query: publisher, theme, keyword (as published), license or format. */
  facet(query: SearchQuery | ListFilter, kind: 'publisher' | 'theme' | 'keyword' | 'license' | 'format', limit = 50): FacetCount[] {
    const { where, params, fts } = this.#where('include' in query ? query : this.#listFilter(query))
    const hits = `SELECT d.publisher, d.dataset_id, d.metadata ${this.#from(fts)} WHERE ${where}`
    const sql =
      kind === 'publisher'
        ? `SELECT h.publisher AS value, COUNT(*) AS count FROM (${hits}) h GROUP BY h.publisher`
        : kind === 'keyword'
          ? `SELECT k.value AS value, COUNT(*) AS count FROM (${hits}) h, json_each(h.metadata, '$.keywords') k GROUP BY k.value`
          : `SELECT t.value AS value, COUNT(*) AS count FROM dataset_terms t WHERE t.kind = '${kind}' AND (t.publisher, t.dataset_id) IN (SELECT publisher, dataset_id FROM (${hits})) GROUP BY t.value`
    return this.#sqlite.prepare(`${sql} ORDER BY count DESC, value ASC LIMIT ?`).all(...params, limit) as FacetCount[]
  }

  #filter(query: SearchQuery): { where: string; params: unknown[]; fts: string | null } {
    return this.#where(this.#listFilter(query))
  }

  /** The search API's query as a list filter. */
  #listFilter(query: SearchQuery): ListFilter {
    const include: ListFilter['include'] = []
    if (query.publisher !== undefined && query.publisher.length > 0) include.push({ kind: 'publisher', values: query.publisher })
    // Only the registry's AGS of the signer counts: a dataset naming another Kommune's AGS
    // in its spatial field must not appear under that Kommune.
    if (query.ags !== undefined) include.push({ kind: 'publisher', values: this.ctx.publishersWithAgs(query.ags) })
    const terms: Array<[TermKind, string[] | undefined]> = [
      ['theme', query.theme],
      ['keyword', query.keyword],
      ['license', query.license],
      ['format', query.format]
    ]
    for (const [kind, values] of terms) if (values !== undefined && values.length > 0) include.push({ kind, values })
    return {
      ...(query.q === undefined ? {} : { fts: toFtsQuery(query.q) ?? undefined }),
      include,
      exclude: [],
      ...(query.bbox === undefined ? {} : { bbox: query.bbox }),
      ...(query.modifiedSince === undefined ? {} : { modifiedSince: query.modifiedSince })
    }
  }

  #where(f: ListFilter): { where: string; params: unknown[]; fts: string | null } {
    const fts = f.fts ?? null
    const conds: string[] = ['d.tombstone = 0']
    const params: unknown[] = fts === null ? [] : [fts]
    if (f.none === true) conds.push('0')
    for (const [group, negate] of [
      [f.include, false],
      [f.exclude, true]
    ] as const) {
      for (const { kind, values: raw } of group) {
        const values = kind === 'keyword' ? raw.map(k => foldGerman(k).toLowerCase()) : raw
        const list = values.length === 0 ? 'NULL' : values.map(() => '?').join(',')
        if (kind === 'publisher') {
          conds.push(`d.publisher ${negate ? 'NOT IN' : 'IN'} (${list})`)
          params.push(...values)
        } else {
          conds.push(
            `${negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM dataset_terms t WHERE t.publisher = d.publisher AND t.dataset_id = d.dataset_id AND t.kind = ? AND t.value IN (${list}))`
          )
          params.push(kind, ...values)
        }
      }
    }
    if (f.bbox !== undefined) {
      const [minLon, minLat, maxLon, maxLat] = f.bbox
      conds.push('i.max_lon >= ? AND i.min_lon <= ? AND i.max_lat >= ? AND i.min_lat <= ?')
      params.push(minLon, maxLon, minLat, maxLat)
    }
    if (f.modifiedSince !== undefined) {
      conds.push('i.modified >= ?')
      params.push(f.modifiedSince)
    }
    // When this node stored the current version: what CKAN calls metadata_modified.
    if (f.receivedAt?.from !== undefined) {
      conds.push('(SELECT received_at FROM entries e WHERE e.hash = d.entry_hash) >= ?')
      params.push(f.receivedAt.from)
    }
    if (f.receivedAt?.to !== undefined) {
      conds.push('(SELECT received_at FROM entries e WHERE e.hash = d.entry_hash) <= ?')
      params.push(f.receivedAt.to)
    }
    const created = "coalesce(json_extract(d.metadata, '$.issued'), d.issued_at)"
    if (f.createdAt?.from !== undefined) {
      conds.push(`${created} >= ?`)
      params.push(f.createdAt.from)
    }
    if (f.createdAt?.to !== undefined) {
      conds.push(`${created} <= ?`)
      params.push(f.createdAt.to)
    }
    return { where: conds.join(' AND '), params, fts }
  }

  #hit(r: Row): SearchHit {
    return {
      dataset: JSON.parse(r.metadata) as DatasetMetadata,
      score: r.rank === null ? null : -r.rank,
      provenance: {
        publisher: r.publisher,
        kommune: this.ctx.kommuneOf(r.publisher),
        seq: r.seq,
        entryHash: r.entry_hash,
        signedAt: r.issued_at,
        receivedAt: r.received_at,
        publisherOnline: this.ctx.isOnline(r.publisher)
      }
    }
  }
}

function encodeCursor(key: number | string, publisher: string, id: string): string {
  return Buffer.from(JSON.stringify([key, publisher, id])).toString('base64url')
}

function decodeCursor(cursor: string, ranked: boolean): [number | string, string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === (ranked ? 'number' : 'string') &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'string'
    ) {
      return v as [number | string, string, string]
    }
  } catch {
    // not base64 JSON: the same answer as a cursor of the wrong shape
  }
  throw new ValidationError('cursor', 'cursor is not one this search returned (did the query change?)')
}

function hasFilters(q: SearchQuery): boolean {
  return (
    [q.publisher, q.theme, q.keyword, q.license, q.format].some(v => v !== undefined && v.length > 0) ||
    q.ags !== undefined ||
    q.bbox !== undefined ||
    q.modifiedSince !== undefined
  )
}
