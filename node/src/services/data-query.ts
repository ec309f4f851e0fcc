import { readFile, stat } from 'node:fs/promises'
import { parse } from 'csv-parse'
import { foldGerman, type BBox, type DataMatch, type DataQuery, type DatasetMetadata, type WhereClause } from '../../../protocol/src/index.js'
import type { BlobStore } from '../blob-store.js'
import type { NodeDb } from '../db/open.js'

/** GeoJSON files are parsed whole; larger ones are skipped (and said so in the log). */
export const MAX_GEOJSON_BYTES = 64 * 1024 * 1024

const LAT_NAMES = ['lat', 'latitude', 'breite', 'breitengrad', 'y', 'lat_wgs84']
const LON_NAMES = ['lon', 'lng', 'long', 'longitude', 'laenge', 'länge', 'laengengrad', 'x', 'lon_wgs84']

export interface DataQueryResult {
  matches: DataMatch[]
  truncated: boolean
}

/**
 * Runs a data query on this node's own CSV and GeoJSON files: rows and
 * features whose position lies in the bbox and whose attributes match.
 * The data never leaves the node except as these results.
 */
export class DataQueryService {
  constructor (
    private readonly db: NodeDb,
    private readonly blobs: BlobStore,
    private readonly self: string
  ) {}

  async run (query: DataQuery): Promise<DataQueryResult> {
    const matches: DataMatch[] = []
    let truncated = false
    const room = (): boolean => {
      if (matches.length < query.limit) return true
      truncated = true
      return false
    }
    for (const dataset of this.#datasets(query)) {
      for (const dist of dataset.distributions) {
        if (!room()) return { matches, truncated }
        if ((dist.format !== 'CSV' && dist.format !== 'GEOJSON') || dist.sha256 === undefined || !await this.blobs.has(dist.sha256)) continue
        const base = { datasetId: dataset.id, distributionId: dist.id }
        if (dist.format === 'CSV') {
          for await (const row of this.#csvRows(dist.sha256)) {
            if (!matchesRow(row, query)) continue
            if (!room()) break
            matches.push({ ...base, format: 'CSV', row })
          }
        } else {
          for (const feature of await this.#features(dist.sha256)) {
            if (!matchesFeature(feature, query)) continue
            if (!room()) break
            matches.push({ ...base, format: 'GEOJSON', feature })
          }
        }
      }
    }
    return { matches, truncated }
  }

  #datasets (query: DataQuery): DatasetMetadata[] {
    const conds = ['d.publisher = ?', 'd.tombstone = 0']
    const params: unknown[] = [this.self]
    if (query.datasetId !== undefined) { conds.push('d.dataset_id = ?'); params.push(query.datasetId) }
    if (query.theme !== undefined) {
      conds.push("EXISTS (SELECT 1 FROM dataset_terms t WHERE t.publisher = d.publisher AND t.dataset_id = d.dataset_id AND t.kind = 'theme' AND t.value = ?)")
      params.push(query.theme)
    }
    if (query.keyword !== undefined) {
      conds.push("EXISTS (SELECT 1 FROM dataset_terms t WHERE t.publisher = d.publisher AND t.dataset_id = d.dataset_id AND t.kind = 'keyword' AND t.value = ?)")
      params.push(foldGerman(query.keyword).toLowerCase())
    }
    if (query.bbox !== undefined) {
      // Datasets without an extent may still hold matching points; only a known, disjoint extent is skipped.
      const [minLon, minLat, maxLon, maxLat] = query.bbox
      conds.push('(i.min_lon IS NULL OR (i.max_lon >= ? AND i.min_lon <= ? AND i.max_lat >= ? AND i.min_lat <= ?))')
      params.push(minLon, maxLon, minLat, maxLat)
    }
    const rows = this.db.$client.prepare(`SELECT d.metadata FROM datasets d
      LEFT JOIN dataset_index i ON i.publisher = d.publisher AND i.dataset_id = d.dataset_id
      WHERE ${conds.join(' AND ')} ORDER BY d.dataset_id`).all(...params) as Array<{ metadata: string }>
    return rows.map(r => JSON.parse(r.metadata) as DatasetMetadata)
  }

  async * #csvRows (sha256: string): AsyncIterable<Record<string, string>> {
    const head = await new Promise<string>((resolve, reject) => {
      let text = ''
      const s = this.blobs.read(sha256, { start: 0, end: 4095 })
      s.on('data', d => { text += String(d) })
      s.on('end', () => resolve(text))
      s.on('error', reject)
    })
    const firstLine = head.split(/\r?\n/)[0] ?? ''
    const delimiter = [';', ',', '\t'].map(d => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0]
    const parser = this.blobs.read(sha256).pipe(parse({ columns: true, delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }))
    for await (const record of parser) yield record as Record<string, string>
  }

  async #features (sha256: string): Promise<Array<Record<string, unknown>>> {
    const path = this.blobs.pathOf(sha256)
    if ((await stat(path)).size > MAX_GEOJSON_BYTES) return []
    let doc: unknown
    try {
      doc = JSON.parse(await readFile(path, 'utf8'))
    } catch {
      return []
    }
    const d = doc as { type?: string, features?: unknown }
    if (d?.type === 'FeatureCollection' && Array.isArray(d.features)) return d.features.filter(isObject)
    if (d?.type === 'Feature') return [d as Record<string, unknown>]
    return []
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function attribute (record: Record<string, unknown>, field: string): unknown {
  if (field in record) return record[field]
  const lower = field.toLowerCase()
  const key = Object.keys(record).find(k => k.toLowerCase() === lower)
  return key === undefined ? undefined : record[key]
}

function holds (record: Record<string, unknown>, clause: WhereClause): boolean {
  const v = attribute(record, clause.field)
  if (v === undefined || v === null || typeof v === 'object') return false
  const text = String(v).trim()
  return clause.op === 'eq'
    ? text === clause.value.trim()
    : foldGerman(text).toLowerCase().includes(foldGerman(clause.value).toLowerCase())
}

function coordinate (record: Record<string, string>, names: string[]): number | undefined {
  const key = Object.keys(record).find(k => names.includes(k.toLowerCase()))
  if (key === undefined) return undefined
  const n = Number(String(record[key]).replace(',', '.'))
  return Number.isFinite(n) ? n : undefined
}

function matchesRow (row: Record<string, string>, q: DataQuery): boolean {
  if (!q.where.every(c => holds(row, c))) return false
  if (q.bbox === undefined) return true
  const lat = coordinate(row, LAT_NAMES)
  const lon = coordinate(row, LON_NAMES)
  return lat !== undefined && lon !== undefined && inside(q.bbox, lon, lat)
}

function matchesFeature (feature: Record<string, unknown>, q: DataQuery): boolean {
  const props = isObject(feature.properties) ? feature.properties : {}
  if (!q.where.every(c => holds(props, c))) return false
  if (q.bbox === undefined) return true
  const extent = geometryBbox((feature.geometry as { coordinates?: unknown } | null)?.coordinates)
  return extent !== undefined && intersects(q.bbox, extent)
}

const inside = ([minLon, minLat, maxLon, maxLat]: BBox, lon: number, lat: number): boolean =>
  lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat

const intersects = (a: BBox, b: BBox): boolean => a[2] >= b[0] && a[0] <= b[2] && a[3] >= b[1] && a[1] <= b[3]

/** Extent of any GeoJSON coordinate nesting (Point … MultiPolygon). */
function geometryBbox (coords: unknown): BBox | undefined {
  let box: BBox | undefined
  const walk = (c: unknown, depth: number): void => {
    if (!Array.isArray(c) || depth > 6) return
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      const [x, y] = c as [number, number]
      box = box === undefined ? [x, y, x, y] : [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)]
      return
    }
    for (const inner of c) walk(inner, depth + 1)
  }
  walk(coords, 0)
  return box
}
