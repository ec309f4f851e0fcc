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
    const { rows, where, params, fts } = this.#select(query, query.limit + 1, query.cursor)
    const items = rows.slice(0, query.limit).map(r => this.#hit(r))
    const last = rows.length > query.limit ? rows[query.limit - 1] : undefined
    const total = (this.#sqlite.prepare(`SELECT COUNT(*) AS n ${this.#from(fts)} WHERE ${where}`).get(...params) as { n: number }).n
    return {
      items,
      total,
      facets: withFacets ? this.#facets(query) : { publisher: [], theme: [], license: [], format: [] },
      nextCursor: last === undefined ? null : encodeCursor(fts !== null ? last.rank! : last.issued_at, last.publisher, last.dataset_id)
    }
  }

  /** The best `limit` hits as signed entries, for a federated asker. */
  rawHits (query: SearchQuery): RawHit[] {
    return this.#select({ ...query, cursor: undefined }, query.limit, undefined).rows.map(r => ({ jws: r.jws, score: r.rank === null ? 0 : -r.rank }))
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
    const rows = this.#sqlite.prepare(`SELECT d.publisher, d.dataset_id, d.metadata, d.seq, d.entry_hash, d.issued_at,
        e.received_at, e.jws, ${fts !== null ? 'f.rank' : 'NULL'} AS rank
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
      const pubs = this.ctx.publishersWithAgs(query.ags)
      conds.push(`(i.ags = ?${pubs.length > 0 ? ` OR d.publisher IN (${pubs.map(() => '?').join(',')})` : ''})`)
      params.push(query.ags, ...pubs)
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

  #select (query: SearchQuery, limit: number, cursor: string | undefined): { rows: Row[], where: string, params: unknown[], fts: string | null } {
    const { where, params, fts } = this.#filter(query)
    const pageConds = [where]
    const pageParams = [...params]
    if (cursor !== undefined) {
      const [key, publisher, id] = decodeCursor(cursor, fts !== null)
      // Keyset: strictly after the last hit in (sort key, publisher, id) order.
      pageConds.push(fts !== null
        ? '(f.rank > ? OR (f.rank = ? AND (d.publisher > ? OR (d.publisher = ? AND d.dataset_id > ?))))'
        : '(d.issued_at < ? OR (d.issued_at = ? AND (d.publisher > ? OR (d.publisher = ? AND d.dataset_id > ?))))')
      pageParams.push(key, key, publisher, publisher, id)
    }
    const order = fts !== null ? 'f.rank ASC' : 'd.issued_at DESC'
    const rows = this.#sqlite.prepare(`SELECT d.publisher, d.dataset_id, d.metadata, d.seq, d.entry_hash, d.issued_at,
        e.received_at, e.jws, ${fts !== null ? 'f.rank' : 'NULL'} AS rank
      ${this.#from(fts)} JOIN entries e ON e.hash = d.entry_hash
      WHERE ${pageConds.join(' AND ')}
      ORDER BY ${order}, d.publisher ASC, d.dataset_id ASC LIMIT ?`).all(...pageParams, limit) as Row[]
    return { rows, where, params, fts }
  }

  #facets (query: SearchQuery): SearchResult['facets'] {
    return {
      publisher: this.facet(query, 'publisher').map(p => ({ ...p, label: this.ctx.kommuneOf(p.value) })),
      theme: this.facet(query, 'theme'),
      license: this.facet(query, 'license'),
      format: this.facet(query, 'format')
    }
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
