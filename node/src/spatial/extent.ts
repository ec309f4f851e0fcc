import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { parse } from 'csv-parse'
import type { BBox } from '@swf/protocol'
import { CRS84, EPSG_25832, transformer, type Crs } from './crs.js'

// Where the points of a CSV or GeoJSON file lie: used by data queries (per
// stored file), by OGC API collections and by `swf-node publish` (the extent
// of the file it uploads). CSV coordinates are lat/lon in WGS 84, or
// Rechtswert/Hochwert in ETRS89 / UTM 32N as NRW's surveys write them.

/** GeoJSON files are parsed whole; larger ones have no extent here. */
export const MAX_GEOJSON_BYTES = 64 * 1024 * 1024

export const LAT_NAMES = ['lat', 'latitude', 'breite', 'breitengrad', 'y', 'lat_wgs84']
export const LON_NAMES = ['lon', 'lng', 'long', 'longitude', 'laenge', 'länge', 'laengengrad', 'x', 'lon_wgs84']

/** "minLon,minLat,maxLon,maxLat" as four decimal numbers (ranges and order are the schema's to check); undefined when it is not. */
export function bboxFromText(raw: string): BBox | undefined {
  const parts = raw.split(',').map(s => s.trim())
  if (parts.length !== 4 || parts.some(p => !/^-?\d+(\.\d+)?$/.test(p))) return undefined
  return parts.map(Number) as BBox
}

/** Column names of Rechtswert/Hochwert (easting/northing) in EPSG:25832, in lower case. */
export const EASTING_NAMES = ['rechtswert', 'ostwert', 'easting', 'utm_e', 'utm_x']
export const NORTHING_NAMES = ['hochwert', 'nordwert', 'northing', 'utm_n', 'utm_y']

/** A coordinate's number (decimal comma allowed); NaN when empty or not a number. */
export const numberIn = (v: string | undefined): number => (v === undefined || v.trim() === '' ? NaN : Number(v.trim().replace(',', '.')))

/** Which columns hold a CSV's positions, and in which CRS: lat/lon in degrees, or Rechtswert/Hochwert in EPSG:25832. */
export function coordinateColumns(header: string[], first: Record<string, string>): { x: string; y: string; crs: Crs } | undefined {
  const find = (names: string[]): string | undefined => header.find(h => names.includes(h.toLowerCase()))
  const lon = find(LON_NAMES)
  const lat = find(LAT_NAMES)
  if (lon !== undefined && lat !== undefined) {
    const x = numberIn(first[lon])
    const y = numberIn(first[lat])
    // "x"/"y" columns with metres are UTM 32N, as NRW's surveys write them.
    if (Math.abs(x) > 180 || Math.abs(y) > 90) return isUtm32(x, y) ? { x: lon, y: lat, crs: EPSG_25832 } : undefined
    return { x: lon, y: lat, crs: CRS84 }
  }
  const east = find(EASTING_NAMES)
  const north = find(NORTHING_NAMES)
  if (east === undefined || north === undefined) return undefined
  return { x: east, y: north, crs: EPSG_25832 }
}

/** Within EPSG:25832's area of use, loosely (easting with or without the zone prefix 32). */
const isUtm32 = (x: number, y: number): boolean => x > 100_000 && x < 1_000_000 && y > 5_000_000 && y < 6_500_000

/** A CSV row's point as CRS84 [lon, lat]: lat/lon columns, or Rechtswert/Hochwert converted from EPSG:25832. */
export function rowPoint(row: Record<string, string>): [number, number] | undefined {
  const where = coordinateColumns(Object.keys(row), row)
  if (where === undefined) return undefined
  const x = numberIn(row[where.x])
  const y = numberIn(row[where.y])
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined
  return where.crs === CRS84 ? [x, y] : transformer(where.crs, CRS84)([x, y])
}

/** The smallest box holding both (either may be missing). */
export function unionBbox(a: BBox | undefined, b: BBox | undefined): BBox | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]
}

/** Extent of any GeoJSON coordinate nesting (Point … MultiPolygon). */
export function geometryBbox(coords: unknown): BBox | undefined {
  let box: BBox | undefined
  const walk = (c: unknown, depth: number): void => {
    if (!Array.isArray(c) || depth > 6) return
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      const [x, y] = c as [number, number]
      box = unionBbox(box, [x, y, x, y])
      return
    }
    for (const inner of c) walk(inner, depth + 1)
  }
  walk(coords, 0)
  return box
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The features of a parsed GeoJSON document (a FeatureCollection or one Feature). */
export function featuresOf(doc: unknown): Array<Record<string, unknown>> {
  if (!isObject(doc)) return []
  if (doc.type === 'FeatureCollection' && Array.isArray(doc.features)) return doc.features.filter(isObject)
  if (doc.type === 'Feature') return [doc]
  return []
}

/** The separator a CSV's header line (the first line of `text`) uses most: `;`, `,` or tab. */
export function csvDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  return [';', ',', '\t'].map(d => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0]
}

/** The CSV parser the node uses everywhere (header row, BOM, ragged rows tolerated). */
export function csvParser(delimiter: string): ReturnType<typeof parse> {
  return parse({ columns: true, delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, trim: true })
}

/** The extent of a local CSV (lat/lon columns) or GeoJSON file; undefined when it has no coordinates. */
export async function extentOfFile(path: string, kind: 'CSV' | 'GEOJSON'): Promise<BBox | undefined> {
  if (kind === 'GEOJSON') {
    if ((await stat(path)).size > MAX_GEOJSON_BYTES) return undefined
    let doc: unknown
    try {
      doc = JSON.parse(await readFile(path, 'utf8'))
    } catch {
      return undefined
    }
    let box: BBox | undefined
    for (const f of featuresOf(doc)) box = unionBbox(box, geometryBbox((f.geometry as { coordinates?: unknown } | null)?.coordinates))
    return box
  }
  let box: BBox | undefined
  for await (const row of createReadStream(path).pipe(csvParser(csvDelimiter(await readHead(path))))) {
    const p = rowPoint(row as Record<string, string>)
    if (p !== undefined) box = unionBbox(box, [p[0], p[1], p[0], p[1]])
  }
  return box
}

/** The first `bytes` of a file as text (its header line and a first row, for a CSV). */
export async function readHead(path: string, bytes = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const s = createReadStream(path, { start: 0, end: bytes - 1, encoding: 'utf8' })
    s.on('data', d => {
      text += String(d)
    })
    s.on('end', () => {
      resolve(text)
    })
    s.on('error', reject)
  })
}
