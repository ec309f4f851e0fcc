import { readFile, stat } from 'node:fs/promises'
import { foldGerman, type BBox, type DataMatch, type DataQuery, type DatasetMetadata, type WhereClause } from '@swf/protocol'
import type { BlobStore } from '../blob-store.js'
import type { SearchService } from './search-service.js'
import {
  csvDelimiter,
  csvParser,
  featuresOf,
  geometryBbox,
  isObject,
  MAX_GEOJSON_BYTES,
  readHead,
  rowPoint,
  unionBbox
} from '../spatial/extent.js'

export { MAX_GEOJSON_BYTES }

/** CPU time one data query may spend on this node before it answers with what it has (truncated). */
export const DATA_QUERY_MAX_MS = 500
/** Files whose parsed records are kept in memory (by file size), so repeated queries do not parse again. */
export const DATA_INDEX_MAX_BYTES = 64 * 1024 * 1024
/** Larger files are scanned as a stream each time and never cached. */
export const DATA_INDEX_MAX_FILE_BYTES = 16 * 1024 * 1024
/** Records between checks of the budget and the abort signal. */
const CHECK_EVERY = 256

export interface DataQueryResult {
  matches: DataMatch[]
  /** More matched than `limit`, or the budget or the asker's deadline ended the scan. */
  truncated: boolean
}

export interface DataQueryOptions {
  /** Aborted when the asker is gone or its deadline passed: the scan stops. */
  signal?: AbortSignal
  /** CPU budget in ms (default DATA_QUERY_MAX_MS). */
  maxMs?: number
}

/**
 * What a data query needs to know of a file before scanning it: its column
 * (or property) names in lower case and the extent of its positions. A
 * query naming a field the file lacks, or a bbox outside its extent, skips
 * the file without reading it — what made every no-match query cost 1–2 s.
 */
interface FileIndex {
  fields: Set<string>
  bbox: BBox | undefined
  records: Array<Record<string, unknown>>
  bytes: number
}

/**
 * Runs a data query on this node's own CSV and GeoJSON files: rows and
 * features whose position lies in the bbox and whose attributes match.
 * The data never leaves the node except as these results.
 */
export class DataQueryService {
  /** Parsed files by sha256, least recently used first (Map order). */
  readonly #index = new Map<string, FileIndex>()
  #indexBytes = 0

  constructor(
    /** Which of this node's datasets a query reaches (the search index owns those tables). */
    private readonly index: SearchService,
    private readonly blobs: BlobStore,
    private readonly self: string
  ) {}

  async run(query: DataQuery, opts: DataQueryOptions = {}): Promise<DataQueryResult> {
    const matches: DataMatch[] = []
    let truncated = false
    const t0 = performance.now()
    const maxMs = opts.maxMs ?? DATA_QUERY_MAX_MS
    let seen = 0
    /** False once the answer is full, the budget spent or the asker gone. */
    const goOn = (): boolean => {
      if (matches.length >= query.limit) {
        truncated = true
        return false
      }
      if (++seen % CHECK_EVERY === 0 && (opts.signal?.aborted === true || performance.now() - t0 > maxMs)) {
        truncated = true
        return false
      }
      return true
    }
    for (const dataset of this.#datasets(query)) {
      for (const dist of dataset.distributions) {
        if (opts.signal?.aborted === true || matches.length >= query.limit) return { matches, truncated: true }
        if ((dist.format !== 'CSV' && dist.format !== 'GEOJSON') || dist.sha256 === undefined || !(await this.blobs.has(dist.sha256)))
          continue
        const base = { datasetId: dataset.id, distributionId: dist.id }
        const size = await this.blobs.size(dist.sha256)
        // Small files through their index (skipped unread when they cannot match), large ones streamed.
        const index = size <= DATA_INDEX_MAX_FILE_BYTES ? await this.#indexOf(dist.sha256, dist.format, size) : undefined
        if (index !== undefined && !mayMatch(index, query)) continue
        /** Matches one record; false once the scan must stop. */
        const consider = (record: Record<string, unknown>): boolean => {
          if (!goOn()) return false
          if (dist.format === 'CSV' ? matchesRow(record as Record<string, string>, query) : matchesFeature(record, query)) {
            matches.push(dist.format === 'CSV' ? { ...base, format: 'CSV', row: record } : { ...base, format: 'GEOJSON', feature: record })
          }
          return true
        }
        // A plain loop over the index: no await per record on the hot path.
        if (index !== undefined) {
          for (const record of index.records) if (!consider(record)) return { matches, truncated }
        } else {
          const records = dist.format === 'CSV' ? this.#csvRows(dist.sha256) : await this.#features(dist.sha256)
          for await (const record of records) if (!consider(record)) return { matches, truncated }
        }
      }
    }
    return { matches, truncated }
  }

  /** The file's index, built once (parsing the whole file) and kept while it fits DATA_INDEX_MAX_BYTES. */
  async #indexOf(sha256: string, format: 'CSV' | 'GEOJSON', size: number): Promise<FileIndex> {
    const cached = this.#index.get(sha256)
    if (cached !== undefined) {
      this.#index.delete(sha256)
      this.#index.set(sha256, cached)
      return cached
    }
    const records: Array<Record<string, unknown>> = []
    const fields = new Set<string>()
    let bbox: BBox | undefined
    const extend = (b: BBox | undefined): void => {
      bbox = unionBbox(bbox, b)
    }
    if (format === 'CSV') {
      for await (const row of this.#csvRows(sha256)) {
        records.push(row)
        if (records.length === 1) for (const k of Object.keys(row)) fields.add(k.toLowerCase())
        const p = rowPoint(row)
        if (p !== undefined) extend([p[0], p[1], p[0], p[1]])
      }
    } else {
      for (const feature of await this.#features(sha256)) {
        records.push(feature)
        if (isObject(feature.properties)) for (const k of Object.keys(feature.properties)) fields.add(k.toLowerCase())
        extend(geometryBbox((feature.geometry as { coordinates?: unknown } | null)?.coordinates))
      }
    }
    const index: FileIndex = { fields, bbox, records, bytes: size }
    this.#index.set(sha256, index)
    this.#indexBytes += size
    for (const [key, old] of this.#index) {
      if (this.#indexBytes <= DATA_INDEX_MAX_BYTES) break
      this.#index.delete(key)
      this.#indexBytes -= old.bytes
    }
    return index
  }

  #datasets(query: DataQuery): DatasetMetadata[] {
    return this.index.ownDatasetsFor(this.self, query)
  }

  async *#csvRows(sha256: string): AsyncIterable<Record<string, string>> {
    const parser = this.blobs.read(sha256).pipe(csvParser(csvDelimiter(await readHead(this.blobs.pathOf(sha256)))))
    for await (const record of parser) yield record as Record<string, string>
  }

  async #features(sha256: string): Promise<Array<Record<string, unknown>>> {
    const path = this.blobs.pathOf(sha256)
    if ((await stat(path)).size > MAX_GEOJSON_BYTES) return []
    let doc: unknown
    try {
      doc = JSON.parse(await readFile(path, 'utf8'))
    } catch {
      return []
    }
    return featuresOf(doc)
  }
}

function attribute(record: Record<string, unknown>, field: string): unknown {
  if (field in record) return record[field]
  const lower = field.toLowerCase()
  const key = Object.keys(record).find(k => k.toLowerCase() === lower)
  return key === undefined ? undefined : record[key]
}

function holds(record: Record<string, unknown>, clause: WhereClause): boolean {
  const v = attribute(record, clause.field)
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false
  const text = String(v).trim()
  return clause.op === 'eq' ? text === clause.value.trim() : foldGerman(text).toLowerCase().includes(foldGerman(clause.value).toLowerCase())
}

/** Whether a file can hold a match at all: every field named exists, the bbox meets its extent. */
function mayMatch(index: FileIndex, q: DataQuery): boolean {
  if (!q.where.every(c => index.fields.has(c.field.toLowerCase()))) return false
  if (q.bbox === undefined) return true
  return index.bbox !== undefined && intersects(q.bbox, index.bbox)
}

function matchesRow(row: Record<string, string>, q: DataQuery): boolean {
  if (!q.where.every(c => holds(row, c))) return false
  if (q.bbox === undefined) return true
  const p = rowPoint(row)
  return p !== undefined && inside(q.bbox, p[0], p[1])
}

function matchesFeature(feature: Record<string, unknown>, q: DataQuery): boolean {
  const props = isObject(feature.properties) ? feature.properties : {}
  if (!q.where.every(c => holds(props, c))) return false
  if (q.bbox === undefined) return true
  const extent = geometryBbox((feature.geometry as { coordinates?: unknown } | null)?.coordinates)
  return extent !== undefined && intersects(q.bbox, extent)
}

const inside = ([minLon, minLat, maxLon, maxLat]: BBox, lon: number, lat: number): boolean =>
  lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat

const intersects = (a: BBox, b: BBox): boolean => a[2] >= b[0] && a[0] <= b[2] && a[3] >= b[1] && a[1] <= b[3]
