import { foldGerman, toFtsQuery, type DatasetMetadata, type SearchQuery } from '../../../protocol/src/index.js'
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

export interface FacetCount { value: string, count: number, label?: string | null }

export interface SearchResult {
  items: SearchHit[]
  total: number
  facets: { publisher: FacetCount[], theme: FacetCount[], license: FacetCount[], format: FacetCount[] }
  nextCursor: string | null
}

/** A raw hit with its signed entry, for answering federated searches. */
export interface RawHit { jws: string, score: number }

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
  constructor (private readonly db: NodeDb, private readonly ctx: SearchContext) {}

  search (query: SearchQuery, withFacets = true): SearchResult {
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
      conds.push(ranked
        ? '(rank > ? OR (rank = ? AND (publisher > ? OR (publisher = ? AND dataset_id > ?))))'
        : '(issued_at < ? OR (issued_at = ? AND (publisher > ? OR (publisher = ? AND dataset_id > ?))))')
      params.push(key, key, publisher, publisher, id)
    }
    const where = [unfiltered ? 'tombstone = 0' : '', ...conds].filter(c => c !== '').join(' AND ')
    const keys = this.#sqlite.prepare(`SELECT publisher, dataset_id, ${ranked ? 'rank' : 'NULL AS rank'}, issued_at FROM ${source}
      ${where === '' ? '' : `WHERE ${where}`}
      ORDER BY ${ranked ? 'rank ASC' : 'issued_at DESC'}, publisher ASC, dataset_id ASC LIMIT ?`).all(...params, query.limit + 1) as Array<{ publisher: string, dataset_id: string, rank: number | null, issued_at: string }>
    const page = keys.slice(0, query.limit)
    const details = this.#sqlite.prepare(`SELECT d.publisher, d.dataset_id, d.metadata, d.seq, d.entry_hash, d.issued_at, e.received_at, '' AS jws, NULL AS rank
      FROM datasets d JOIN entries e ON e.hash = d.entry_hash WHERE d.publisher = ? AND d.dataset_id = ?`)
    const items = page.map(k => this.#hit({ ...(details.get(k.publisher, k.dataset_id) as Row), rank: k.rank }))
    const last = keys.length > query.limit ? page[page.length - 1] : undefined
    const total = (this.#sqlite.prepare(`SELECT COUNT(*) AS n FROM ${source} ${live}`).get() as { n: number }).n
    return {
      items,
      total,
      facets: !withFacets ? { publisher: [], theme: [], license: [], format: [] } : unfiltered ? this.#cachedFacets() : this.#facetsOf(source),
      nextCursor: last === undefined ? null : encodeCursor(ranked ? last.rank! : last.issued_at, last.publisher, last.dataset_id)
    }
  }

  #facetCache: { version: number, facets: SearchResult['facets'] } | undefined

  #cachedFacets (): SearchResult['facets'] {
    const version = this.ctx.catalogVersion?.() ?? -1
    if (this.#facetCache === undefined || this.#facetCache.version !== version || version === -1) {
      this.#facetCache = { version, facets: this.#facetsOf('(SELECT publisher, dataset_id FROM datasets WHERE tombstone = 0)') }
    }
    return this.#facetCache.facets
  }

  /** Facet counts over a set of (publisher, dataset_id) keys. */
  #facetsOf (source: string): SearchResult['facets'] {
    // CROSS JOIN keeps SQLite driving from the hits (small) into dataset_terms by key.
    const terms = this.#sqlite.prepare(`SELECT t.kind, t.value, COUNT(*) AS count FROM ${source} h
      CROSS JOIN dataset_terms t ON t.publisher = h.publisher AND t.dataset_id = h.dataset_id
      WHERE t.kind IN ('theme', 'license', 'format') GROUP BY t.kind, t.value ORDER BY count DESC, t.value ASC`).all() as Array<{ kind: string, value: string, count: number }>
    const publishers = this.#sqlite.prepare(`SELECT h.publisher AS value, COUNT(*) AS count FROM ${source} h GROUP BY h.publisher ORDER BY count DESC, value ASC LIMIT 200`).all() as FacetCount[]
    const of = (kind: string): FacetCount[] => terms.filter(t => t.kind === kind).slice(0, 50).map(({ value, count }) => ({ value, count }))
    return { publisher: publishers.map(p => ({ ...p, label: this.ctx.kommuneOf(p.value) })), theme: of('theme'), license: of('license'), format: of('format') }
  }

  /** Fills temp.search_hits with the keys (and sort keys) of every match; returns its name. */
  #collect (query: SearchQuery): string {
    const { where, params, fts } = this.#filter(query)
    this.#sqlite.exec('CREATE TEMP TABLE IF NOT EXISTS search_hits (publisher TEXT, dataset_id TEXT, rank REAL, issued_at TEXT, PRIMARY KEY (publisher, dataset_id)) WITHOUT ROWID')
    this.#sqlite.exec('DELETE FROM temp.search_hits')
    this.#sqlite.prepare(`INSERT INTO temp.search_hits SELECT d.publisher, d.dataset_id, ${fts !== null ? 'f.rank' : 'NULL'}, d.issued_at
      ${this.#from(fts)} WHERE ${where}`).run(...params)
    return 'temp.search_hits'
  }

  /** The best `limit` hits as signed entries, for a federated asker. */
  rawHits (query: SearchQuery): RawHit[] {
    const jws = this.#sqlite.prepare('SELECT jws FROM entries WHERE hash = ?')
    return this.search({ ...query, cursor: undefined }, false).items.map(h => ({ jws: (jws.get(h.provenance.entryHash) as { jws: string }).jws, score: h.score ?? 0 }))
  }

  get #sqlite () {
    return this.db.$client
  }

  #from (fts: string | null): string {
    return `FROM datasets d
      JOIN dataset_index i ON i.publisher = d.publisher AND i.dataset_id = d.dataset_id
      ${fts === null ? '' : `JOIN (SELECT publisher, dataset_id, ${RANK} AS rank FROM dataset_fts WHERE dataset_fts MATCH ?) f
        ON f.publisher = d.publisher AND f.dataset_id = d.dataset_id`}`
  }

  /** Offset paging with a chosen order, for CKAN's package_search (start/rows/sort). */
  page (query: SearchQuery, offset: number, limit: number, order: 'score' | 'modified' | 'title' | 'name'): { rows: SearchHit[], total: number, keys: Array<{ publisher: string, datasetId: string }> } {
    const { where, params, fts } = this.#filter(query)
    const orderBy = {
      score: fts !== null ? 'f.rank ASC, d.issued_at DESC' : 'd.issued_at DESC',
      modified: 'd.issued_at DESC',
      title: 'd.title COLLATE NOCASE ASC',
      name: 'd.dataset_id ASC'
    }[order]
    // No e.jws here: the sorter would carry every hit's signed entry for nothing.
    const rows = this.#sqlite.prepare(`SELECT d.publisher, d.dataset_id, d.metadata, d.seq, d.entry_hash, d.issued_at,
        e.received_at, '' AS jws, ${fts !== null ? 'f.rank' : 'NULL'} AS rank
      ${this.#from(fts)} JOIN entries e ON e.hash = d.entry_hash
      WHERE ${where} ORDER BY ${orderBy}, d.publisher ASC, d.dataset_id ASC LIMIT ? OFFSET ?`).all(...params, limit, offset) as Row[]
    const total = (this.#sqlite.prepare(`SELECT COUNT(*) AS n ${this.#from(fts)} WHERE ${where}`).get(...params) as { n: number }).n
    return { rows: rows.map(r => this.#hit(r)), total, keys: rows.map(r => ({ publisher: r.publisher, datasetId: r.dataset_id })) }
  }

  /** Counts per value of a facet over all hits of a query: publisher, theme, keyword (as published), license or format. */
  facet (query: SearchQuery, kind: 'publisher' | 'theme' | 'keyword' | 'license' | 'format', limit = 50): FacetCount[] {
    const { where, params, fts } = this.#filter(query)
    const hits = `SELECT d.publisher, d.dataset_id, d.metadata ${this.#from(fts)} WHERE ${where}`
    const sql = kind === 'publisher'
      ? `SELECT h.publisher AS value, COUNT(*) AS count FROM (${hits}) h GROUP BY h.publisher`
      : kind === 'keyword'
        ? `SELECT k.value AS value, COUNT(*) AS count FROM (${hits}) h, json_each(h.metadata, '$.keywords') k GROUP BY k.value`
        : `SELECT t.value AS value, COUNT(*) AS count FROM dataset_terms t WHERE t.kind = '${kind}' AND (t.publisher, t.dataset_id) IN (SELECT publisher, dataset_id FROM (${hits})) GROUP BY t.value`
    return this.#sqlite.prepare(`${sql} ORDER BY count DESC, value ASC LIMIT ?`).all(...params, limit) as FacetCount[]
  }

  #filter (query: SearchQuery): { where: string, params: unknown[], fts: string | null } {
    const fts = query.q === undefined ? null : toFtsQuery(query.q)
    const conds: string[] = ['d.tombstone = 0']
    const params: unknown[] = fts === null ? [] : [fts]
    if (query.publisher !== undefined && query.publisher.length > 0) {
      conds.push(`d.publisher IN (${query.publisher.map(() => '?').join(',')})`)
      params.push(...query.publisher)
    }
    if (query.ags !== undefined) {
      // Only the registry's AGS of the signer counts: a dataset naming another Kommune's AGS
      // in its spatial field must not appear under that Kommune.
      const pubs = this.ctx.publishersWithAgs(query.ags)
      conds.push(pubs.length > 0 ? `d.publisher IN (${pubs.map(() => '?').join(',')})` : '0')
      params.push(...pubs)
    }
    const terms: Array<['theme' | 'keyword' | 'license' | 'format', string[] | undefined]> = [
      ['theme', query.theme], ['keyword', query.keyword?.map(k => foldGerman(k).toLowerCase())], ['license', query.license], ['format', query.format]
    ]
    for (const [kind, values] of terms) {
      if (values === undefined || values.length === 0) continue
      conds.push(`EXISTS (SELECT 1 FROM dataset_terms t WHERE t.publisher = d.publisher AND t.dataset_id = d.dataset_id AND t.kind = ? AND t.value IN (${values.map(() => '?').join(',')}))`)
      params.push(kind, ...values)
    }
    if (query.bbox !== undefined) {
      const [minLon, minLat, maxLon, maxLat] = query.bbox
      conds.push('i.max_lon >= ? AND i.min_lon <= ? AND i.max_lat >= ? AND i.min_lat <= ?')
      params.push(minLon, maxLon, minLat, maxLat)
    }
    if (query.modifiedSince !== undefined) {
      conds.push('i.modified >= ?')
      params.push(query.modifiedSince)
    }
    return { where: conds.join(' AND '), params, fts }
  }

  #hit (r: Row): SearchHit {
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

function encodeCursor (key: number | string, publisher: string, id: string): string {
  return Buffer.from(JSON.stringify([key, publisher, id])).toString('base64url')
}

function decodeCursor (cursor: string, ranked: boolean): [number | string, string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === (ranked ? 'number' : 'string') && typeof v[1] === 'string' && typeof v[2] === 'string') {
      return v as [number | string, string, string]
    }
  } catch {}
  throw new ValidationError('cursor', 'cursor is not one this search returned (did the query change?)')
}

function hasFilters (q: SearchQuery): boolean {
  return [q.publisher, q.theme, q.keyword, q.license, q.format].some(v => v !== undefined && v.length > 0) ||
    q.ags !== undefined || q.bbox !== undefined || q.modifiedSince !== undefined
}
