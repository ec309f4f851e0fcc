import { foldGerman, toFtsQuery, type DataQuery, type DatasetMetadata, type SearchQuery } from '@swf/protocol'
import type { NodeDb } from '../db/open.js'
import { ValidationError } from '../errors.js'
import { and, BITSET_KINDS, SearchIndex, type BitsetKind, type DsSet, type IndexedDataset } from './search-index.js'

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
  /** Exact, or a lower bound when a query's words match more datasets than are ranked. */
  total: number
  totalExact: boolean
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
}

// bm25 column weights: title over keywords over description.
const RANK = 'bm25(dataset_fts, 10.0, 1.0, 4.0)'
/** A query's words are ranked (bm25) over at most this many matches, the newest; older ones follow unranked. */
export const MAX_RANKED_HITS = 1_000
/** Matches counted exactly, with exact facets; beyond, the total reads "10 000+" and older matches are not reached. */
export const MAX_COUNTED_HITS = 10_000
/** More changes than this since the last search: the in-memory index is rebuilt in one pass. */
const REBUILD_AFTER_CHANGES = 5_000
const FACET_VALUES = 50
const PUBLISHER_FACET_VALUES = 200

interface DocRow {
  ds: number
  publisher: string
  issued_at: string
  modified: string | null
  min_lon: number | null
  min_lat: number | null
  max_lon: number | null
  max_lat: number | null
}

function indexed(d: DocRow, terms: IndexedDataset['terms']): IndexedDataset {
  const box = [d.min_lon, d.min_lat, d.max_lon, d.max_lat]
  return {
    ds: d.ds,
    publisher: d.publisher,
    issuedMs: Date.parse(d.issued_at),
    modifiedMs: d.modified === null ? NaN : Date.parse(d.modified),
    bbox: box.every(v => typeof v === 'number') ? (box as [number, number, number, number]) : null,
    terms
  }
}

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
 * Catalog search over everything the node holds: FTS5 with German folding
 * for words, the in-memory SearchIndex for filters, counts and facets, and a
 * keyset cursor that returns every hit exactly once while the catalog does
 * not change.
 */
export class SearchService {
  constructor(
    private readonly db: NodeDb,
    private readonly ctx: SearchContext
  ) {}

  /** Builds the in-memory index now (node start), not on the first search. */
  warm(): void {
    this.#index()
  }

  search(query: SearchQuery, withFacets = true): SearchResult {
    const index = this.#index()
    const fts = query.q === undefined ? null : toFtsQuery(query.q)
    const set = index.all()
    this.#narrow(index, set, query)
    let total: number
    let totalExact = true
    let page: Array<{ ds: number; rank: number | null }>
    let last: { kind: CursorKind; key: number; ds: number } | undefined
    if (fts === null) {
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, 'n')
      const newest = index.newest(set, query.limit + 1, after === undefined ? undefined : { issuedMs: after[1], ds: after[2] })
      page = newest.slice(0, query.limit).map(n => ({ ds: n.ds, rank: null }))
      if (newest.length > query.limit) last = { kind: 'n', key: newest[query.limit - 1]!.issuedMs, ds: newest[query.limit - 1]!.ds }
      total = index.count(set)
    } else {
      const ranked = this.#matches(index, fts, set)
      totalExact = ranked.exact
      let from = 0
      let below = ranked.boundary
      if (query.cursor !== undefined) {
        const [kind, rank, ds] = decodeCursor(query.cursor, 'r', 'o')
        if (kind === 'r') {
          from = ranked.hits.findIndex(h => h.rank > rank || (h.rank === rank && h.ds > ds))
          if (from === -1) from = ranked.hits.length
        } else {
          from = ranked.hits.length
          below = ds
        }
      }
      const first: Array<{ ds: number; rank: number | null }> = ranked.hits.slice(from, from + query.limit + 1)
      const rest = index.keysBelow(set, below, query.limit + 1 - first.length).map(ds => ({ ds, rank: null }))
      const keys = [...first, ...rest]
      page = keys.slice(0, query.limit)
      if (keys.length > query.limit) {
        const end = page[page.length - 1]!
        last = end.rank === null ? { kind: 'o', key: 0, ds: end.ds } : { kind: 'r', key: end.rank, ds: end.ds }
      }
      total = index.count(set)
    }
    const items = page.map(k => this.#hit({ ...(this.#statements().hitByKey.get(k.ds) as Row), rank: k.rank ?? (fts === null ? null : 0) }))
    return {
      items,
      total,
      totalExact,
      facets: withFacets ? this.#facets(index, set) : { publisher: [], theme: [], license: [], format: [] },
      nextCursor: last === undefined ? null : encodeCursor(last.kind, last.key, last.ds)
    }
  }

  /**
   * The datasets the words match, within `set` (which keeps only those): the
   * newest MAX_RANKED_HITS matches ranked by bm25, best first, and the key
   * below which the unranked rest begins. Both steps are bounded: bm25 for a
   * word in every one of 100k datasets costs ~100 ms, listing them ~35 ms.
   */
  #matches(index: SearchIndex, fts: string, set: DsSet): { hits: Array<{ ds: number; rank: number }>; boundary: number; exact: boolean } {
    const st = this.#statements()
    const scored = st.rankNewest.raw().all(fts, MAX_RANKED_HITS + 1) as Array<[number, number]>
    let exact = true
    let boundary = 0
    if (scored.length > MAX_RANKED_HITS) {
      scored.pop()
      const keys = st.matchNewest.all(fts, MAX_COUNTED_HITS + 1) as number[]
      exact = keys.length <= MAX_COUNTED_HITS
      and(set, index.of(keys.slice(0, MAX_COUNTED_HITS)))
      boundary = scored[scored.length - 1]![0]
    } else {
      and(set, index.of(scored.map(([ds]) => ds)))
    }
    const hits = scored.filter(([ds]) => index.has(set, ds)).map(([ds, rank]) => ({ ds, rank }))
    hits.sort((a, b) => a.rank - b.rank || a.ds - b.ds)
    return { hits, boundary, exact }
  }

  /** Applies the query's filters (all but its words) to a set of datasets. */
  #narrow(index: SearchIndex, set: DsSet, query: SearchQuery): void {
    if (query.publisher !== undefined && query.publisher.length > 0) index.keepPublishers(set, query.publisher)
    // Only the registry's AGS of the signer counts: a dataset naming another Kommune's AGS
    // in its spatial field must not appear under that Kommune.
    if (query.ags !== undefined) index.keepPublishers(set, this.ctx.publishersWithAgs(query.ags))
    for (const kind of BITSET_KINDS) {
      const values = query[kind]
      if (values !== undefined && values.length > 0) index.keepTerms(set, kind, values)
    }
    if (query.keyword !== undefined && query.keyword.length > 0) {
      const folded = query.keyword.map(k => foldGerman(k).toLowerCase())
      const keys = this.#sqlite
        .prepare(`SELECT ds FROM dataset_terms WHERE kind = 'keyword' AND value IN (${folded.map(() => '?').join(',')})`)
        .pluck()
        .all(...folded) as number[]
      and(set, index.of(keys))
    }
    if (query.bbox !== undefined) index.keepIntersecting(set, query.bbox)
    if (query.modifiedSince !== undefined) index.keepModifiedSince(set, Date.parse(query.modifiedSince))
  }

  #facets(index: SearchIndex, set: DsSet): SearchResult['facets'] {
    const terms = index.termFacets(set, FACET_VALUES)
    return {
      publisher: index.publisherFacet(set, PUBLISHER_FACET_VALUES).map(p => ({ ...p, label: this.ctx.kommuneOf(p.value) })),
      ...terms
    }
  }

  #searchIndex: SearchIndex | undefined
  /** The last search_log row the in-memory index has read. */
  #indexedUpTo = 0

  /** The in-memory index, brought up to date with the store first. */
  #index(): SearchIndex {
    const st = this.#statements()
    const head = (st.logHead.get() as number | undefined) ?? this.#indexedUpTo
    if (this.#searchIndex !== undefined && head === this.#indexedUpTo) return this.#searchIndex
    // Log rows since the last read (seq is AUTOINCREMENT): decided before reading them.
    if (this.#searchIndex === undefined || head - this.#indexedUpTo > REBUILD_AFTER_CHANGES) {
      // Start-up, or a bulk sync: one pass over the tables beats a lookup per change.
      const index = new SearchIndex()
      const terms = new Map<number, IndexedDataset['terms']>()
      for (const t of st.allTerms.iterate() as Iterable<{ ds: number; kind: BitsetKind; value: string }>) {
        let list = terms.get(t.ds)
        if (list === undefined) terms.set(t.ds, (list = []))
        list.push({ kind: t.kind, value: t.value })
      }
      for (const d of st.allDocs.iterate() as Iterable<DocRow>) index.put(indexed(d, terms.get(d.ds) ?? []))
      this.#searchIndex = index
    } else {
      for (const ds of new Set(st.logSince.all(this.#indexedUpTo) as number[])) {
        const d = st.docByKey.get(ds) as DocRow | undefined
        if (d === undefined) this.#searchIndex.remove(ds)
        else this.#searchIndex.put(indexed(d, st.termsByKey.all(ds) as IndexedDataset['terms']))
      }
    }
    // Only this process writes the data directory (it is locked), so what it read can go.
    st.trimLog.run(head)
    this.#indexedUpTo = head
    return this.#searchIndex
  }

  #prepared: ReturnType<SearchService['prepare']> | undefined

  #statements(): ReturnType<SearchService['prepare']> {
    this.#prepared ??= this.prepare()
    return this.#prepared
  }

  private prepare() {
    const sqlite = this.#sqlite
    const doc = 'd.ds, d.publisher, d.issued_at, i.modified, i.min_lon, i.min_lat, i.max_lon, i.max_lat'
    const hit = `SELECT d.publisher, d.dataset_id, d.metadata, d.seq, d.entry_hash, d.issued_at, e.received_at, '' AS jws, NULL AS rank
      FROM datasets d JOIN entries e ON e.hash = d.entry_hash`
    const facetKinds = BITSET_KINDS.map(k => `'${k}'`).join(', ')
    return {
      // Newest matches first: FTS5 walks its rowids backwards without sorting.
      rankNewest: sqlite.prepare(`SELECT rowid, ${RANK} FROM dataset_fts WHERE dataset_fts MATCH ? ORDER BY rowid DESC LIMIT ?`),
      matchNewest: sqlite.prepare('SELECT rowid FROM dataset_fts WHERE dataset_fts MATCH ? ORDER BY rowid DESC LIMIT ?').pluck(),
      // A live dataset with its entry's times, read per hit of every search and list page: by key, or by name.
      hitByKey: sqlite.prepare(`${hit} WHERE d.ds = ? AND d.tombstone = 0`),
      hitByName: sqlite.prepare(`${hit} WHERE d.publisher = ? AND d.dataset_id = ? AND d.tombstone = 0`),
      logHead: sqlite.prepare('SELECT seq FROM search_log ORDER BY seq DESC LIMIT 1').pluck(),
      logSince: sqlite.prepare('SELECT ds FROM search_log WHERE seq > ? ORDER BY seq').pluck(),
      trimLog: sqlite.prepare('DELETE FROM search_log WHERE seq <= ?'),
      // dataset_index holds the live datasets; datasets is joined by its integer key.
      allDocs: sqlite.prepare(`SELECT ${doc} FROM dataset_index i JOIN datasets d ON d.ds = i.ds`),
      docByKey: sqlite.prepare(`SELECT ${doc} FROM datasets d
        JOIN dataset_index i ON i.publisher = d.publisher AND i.dataset_id = d.dataset_id WHERE d.ds = ? AND d.tombstone = 0`),
      allTerms: sqlite.prepare(`SELECT ds, kind, value FROM dataset_terms WHERE kind IN (${facetKinds})`),
      termsByKey: sqlite.prepare(`SELECT t.kind, t.value FROM datasets d
        JOIN dataset_terms t ON t.publisher = d.publisher AND t.dataset_id = d.dataset_id WHERE d.ds = ? AND t.kind IN (${facetKinds})`)
    }
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

  #from(fts: string | null): string {
    return `FROM datasets d
      JOIN dataset_index i ON i.publisher = d.publisher AND i.dataset_id = d.dataset_id
      ${fts === null ? '' : `JOIN (SELECT rowid AS ds, ${RANK} AS rank FROM dataset_fts WHERE dataset_fts MATCH ?) f ON f.ds = d.ds`}`
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
    return {
      rows: page.map(k => this.#hit({ ...(this.#statements().hitByName.get(k.publisher, k.dataset_id) as Row), rank: k.rank })),
      total
    }
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
    const row = this.#statements().hitByName.get(publisher, datasetId) as Row | undefined
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

/** Keyset cursors: `n` newest first (signing time in ms), `r` ranked (bm25), `o` older unranked matches; then the dataset key. */
type CursorKind = 'n' | 'r' | 'o'

function encodeCursor(kind: CursorKind, key: number, ds: number): string {
  return Buffer.from(JSON.stringify([kind, key, ds])).toString('base64url')
}

function decodeCursor(cursor: string, ...kinds: CursorKind[]): [CursorKind, number, number] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(v) && v.length === 3 && kinds.includes(v[0] as CursorKind) && Number.isFinite(v[1]) && Number.isSafeInteger(v[2])) {
      return v as [CursorKind, number, number]
    }
  } catch {
    // not base64 JSON: the same answer as a cursor of the wrong shape
  }
  throw new ValidationError('cursor', 'cursor is not one this search returned (did the query change?)')
}
