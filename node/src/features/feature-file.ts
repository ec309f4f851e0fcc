import { createReadStream } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { parse } from 'csv-parse'
import { parse as parseCsvText } from 'csv-parse/sync'
import type { BBox } from '@swf/protocol'
import { coordinateColumns, csvDelimiter, geometryBbox, isObject, numberIn, readHead, unionBbox } from '../spatial/extent.js'
import { CRS84, crsOf, transformCoordinates, transformer, type Crs } from '../spatial/crs.js'

// A stored CSV or GeoJSON file as a collection of features, read without
// ever holding the file: one streaming pass builds an index (per feature its
// byte range, CRS84 box and time), and a page of items reads only its
// features' bytes. What the index takes: 56 bytes per feature.

/** Files with more features are not indexed (the index alone would take 56 MB); they stay downloads. */
export const MAX_INDEXED_FEATURES = 1_000_000
/** Bytes read per step while a file is indexed. */
const INDEX_CHUNK_BYTES = 256 * 1024

export interface IndexOptions {
  /** More features than this end the index with TooManyFeaturesError (default MAX_INDEXED_FEATURES). */
  maxFeatures?: number
  /** Bytes per read (default 256 KB); small in tests, to cut features across reads. */
  chunkBytes?: number
}
/** One feature larger than this ends the index: no page may need more memory than that. */
export const MAX_FEATURE_BYTES = 16 * 1024 * 1024
/** Features whose byte ranges lie closer than this are read with one read. */
const READ_GAP_BYTES = 16 * 1024
const INDEX_BYTES_PER_FEATURE = 7 * 8

/** A column or property named so carries the time of a feature. */
export const TIME_NAMES = ['datetime', 'zeit', 'zeitpunkt', 'zeitstempel', 'timestamp', 'time', 'datum', 'date', 'erfasst', 'gemessen']

export type PropertyType = 'string' | 'integer' | 'number' | 'boolean'

export interface FeatureIndex {
  format: 'CSV' | 'GEOJSON'
  count: number
  starts: Float64Array
  ends: Float64Array
  /** Four numbers per feature, CRS84; NaN for a feature without geometry. */
  boxes: Float64Array
  /** Epoch milliseconds per feature; NaN when it has none. */
  times: Float64Array
  extent: BBox | undefined
  timeExtent: [string, string] | undefined
  timeField: string | undefined
  /** Property names and types, in file order. */
  properties: Array<{ name: string; type: PropertyType }>
  /** The CRS of the file's coordinates. */
  crs: Crs
  csv?: { header: string[]; delimiter: string; x: string; y: string }
  bytes: number
}

/** The file holds no features: a CSV without coordinate columns, a JSON that is no GeoJSON. */
export class NoFeaturesError extends Error {
  override readonly name = 'NoFeaturesError'
}

/** The file holds more features than are indexed, or one too large. */
export class TooManyFeaturesError extends Error {
  override readonly name = 'TooManyFeaturesError'
}

export interface Feature {
  type: 'Feature'
  id: number | string
  geometry: { type: string; coordinates?: unknown; geometries?: unknown } | null
  properties: Record<string, unknown>
}

/** Growable per-feature arrays. */
class Columns {
  constructor(private readonly maxFeatures = MAX_INDEXED_FEATURES) {}

  count = 0
  starts = new Float64Array(1024)
  ends = new Float64Array(1024)
  boxes = new Float64Array(4096)
  times = new Float64Array(1024)

  push(start: number, end: number, box: BBox | undefined, time: number): void {
    if (this.count >= this.maxFeatures) {
      throw new TooManyFeaturesError(
        `the file holds more than ${this.maxFeatures} features, more than this node serves as items; download it instead`
      )
    }
    if (this.count === this.starts.length) this.#grow()
    const i = this.count++
    this.starts[i] = start
    this.ends[i] = end
    this.times[i] = time
    if (box === undefined) this.boxes.fill(NaN, i * 4, i * 4 + 4)
    else this.boxes.set(box, i * 4)
  }

  #grow(): void {
    const grow = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(a.length * 2)
      b.set(a)
      return b
    }
    this.starts = grow(this.starts)
    this.ends = grow(this.ends)
    this.boxes = grow(this.boxes)
    this.times = grow(this.times)
  }

  extent(): BBox | undefined {
    let box: BBox | undefined
    for (let i = 0; i < this.count; i++) {
      const o = i * 4
      if (!Number.isNaN(this.boxes[o])) box = unionBbox(box, [this.boxes[o]!, this.boxes[o + 1]!, this.boxes[o + 2]!, this.boxes[o + 3]!])
    }
    return box
  }

  timeExtent(): [string, string] | undefined {
    let lo = Infinity
    let hi = -Infinity
    for (let i = 0; i < this.count; i++) {
      const t = this.times[i]!
      if (t < lo) lo = t
      if (t > hi) hi = t
    }
    return lo === Infinity ? undefined : [new Date(lo).toISOString(), new Date(hi).toISOString()]
  }

  trimmed(): Pick<FeatureIndex, 'count' | 'starts' | 'ends' | 'boxes' | 'times' | 'bytes'> {
    const n = this.count
    return {
      count: n,
      starts: this.starts.slice(0, n),
      ends: this.ends.slice(0, n),
      boxes: this.boxes.slice(0, n * 4),
      times: this.times.slice(0, n),
      bytes: n * INDEX_BYTES_PER_FEATURE
    }
  }
}

/** A text's time as epoch ms: ISO 8601 dates and times, or German dates (12.03.2026); NaN otherwise. */
export function timeOf(value: unknown): number {
  if (typeof value !== 'string') return NaN
  const v = value.trim()
  const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v)
  if (german !== null) return Date.UTC(Number(german[3]), Number(german[2]) - 1, Number(german[1]))
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return NaN
  return Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v.replace(' ', 'T'))
}

const INTEGER = /^-?(0|[1-9]\d{0,14})$/
const DECIMAL = /^-?\d{1,15}([.,]\d+)?$/

/** The narrowest type both fit: integers widen to numbers, anything else mixed to text. */
function widen(was: PropertyType | undefined, is: PropertyType): PropertyType {
  if (was === undefined || was === is) return is
  return (was === 'integer' && is === 'number') || (was === 'number' && is === 'integer') ? 'number' : 'string'
}

/** The field holding a feature's time: one named so, else the first whose value is a date. */
function timeFieldOf(names: string[], record: Record<string, unknown>): string | undefined {
  return names.find(n => TIME_NAMES.includes(n.toLowerCase())) ?? names.find(n => !Number.isNaN(timeOf(record[n])))
}

/** Per column: the narrowest type every non-empty value fits. */
class ColumnTypes {
  readonly #types = new Map<string, PropertyType>()

  see(record: Record<string, string>): void {
    for (const [k, v] of Object.entries(record)) {
      if (v === '') continue
      const was = this.#types.get(k)
      if (was === 'string') continue
      const is: PropertyType = INTEGER.test(v)
        ? 'integer'
        : DECIMAL.test(v)
          ? 'number'
          : v === 'true' || v === 'false'
            ? 'boolean'
            : 'string'
      this.#types.set(k, widen(was, is))
    }
  }

  of(name: string): PropertyType {
    return this.#types.get(name) ?? 'string'
  }
}

function typed(value: string, type: PropertyType): unknown {
  if (value === '') return null
  if (type === 'integer') return Number(value)
  if (type === 'number') return Number(value.replace(',', '.'))
  if (type === 'boolean') return value === 'true'
  return value
}

/** Builds the index of a CSV file: one streaming pass. */
export async function indexCsv(path: string, opts: IndexOptions = {}): Promise<FeatureIndex> {
  const delimiter = csvDelimiter(await readHead(path))
  // Rows as arrays with their end offsets (BOM included): the first is the header.
  const parser = createReadStream(path, { highWaterMark: opts.chunkBytes ?? INDEX_CHUNK_BYTES }).pipe(
    parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true })
  )
  const cols = new Columns(opts.maxFeatures)
  const types = new ColumnTypes()
  let header: string[] | undefined
  let where: { x: string; y: string; crs: Crs } | undefined
  let toCrs84 = transformer(CRS84, CRS84)
  let timeField: string | undefined
  let previousEnd = 0
  try {
    for await (const { record: values, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      if (header === undefined) {
        header = values
        previousEnd = info.bytes
        continue
      }
      const record: Record<string, string> = {}
      for (let i = 0; i < header.length; i++) record[header[i]!] = values[i] ?? ''
      if (where === undefined) {
        where = coordinateColumns(header, record)
        if (where === undefined) {
          throw new NoFeaturesError('the CSV has no coordinate columns (lat/lon in WGS 84, or Rechtswert/Hochwert in EPSG:25832)')
        }
        toCrs84 = transformer(where.crs, CRS84)
        timeField = timeFieldOf(header, record)
      }
      types.see(record)
      const x = numberIn(record[where.x])
      const y = numberIn(record[where.y])
      let box: BBox | undefined
      if (Number.isFinite(x) && Number.isFinite(y)) {
        const [lon, lat] = toCrs84([x, y])
        box = [lon, lat, lon, lat]
      }
      cols.push(previousEnd, info.bytes, box, timeField === undefined ? NaN : timeOf(record[timeField]))
      previousEnd = info.bytes
    }
  } finally {
    parser.destroy()
  }
  if (header === undefined || where === undefined) throw new NoFeaturesError('the CSV has no rows')
  const xy = where
  const properties = header.filter(h => h !== xy.x && h !== xy.y).map(name => ({ name, type: types.of(name) }))
  return {
    format: 'CSV',
    ...cols.trimmed(),
    extent: cols.extent(),
    timeExtent: cols.timeExtent(),
    timeField,
    properties,
    crs: xy.crs,
    csv: { header, delimiter, x: xy.x, y: xy.y }
  }
}

/** Whether a CSV's header and first row name coordinates (reads its first 64 KB only). */
export async function csvHasCoordinates(path: string): Promise<boolean> {
  const head = await readHead(path, 64 * 1024)
  const delimiter = csvDelimiter(head)
  let rows: Array<Record<string, string>>
  try {
    rows = parseCsvText<Record<string, string>>(head, {
      columns: true,
      delimiter,
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      to_line: 2
    })
  } catch {
    return false
  }
  const first = rows[0]
  return first !== undefined && coordinateColumns(Object.keys(first), first) !== undefined
}

/**
 * Builds the index of a GeoJSON file in one streaming pass: a scanner finds
 * each member of the top-level `features` array by its bytes (strings and
 * nesting followed), and each feature alone is parsed.
 */
export async function indexGeoJson(path: string, opts: IndexOptions = {}): Promise<FeatureIndex> {
  const cols = new Columns(opts.maxFeatures)
  const props = new Map<string, PropertyType>()
  /** The property holding times: looked for in the first feature ('' when it has none). */
  const time = { field: undefined as string | undefined }
  let crs: Crs = CRS84
  let toCrs84 = transformer(CRS84, CRS84)
  const scanner = new GeoJsonScanner()
  const onFeature = (text: Buffer, start: number, end: number): void => {
    let feature: unknown
    try {
      feature = JSON.parse(text.toString('utf8'))
    } catch {
      throw new NoFeaturesError(`feature ${cols.count + 1} (bytes ${start}–${end}) is not valid JSON`)
    }
    if (!isObject(feature) || feature.type !== 'Feature')
      throw new NoFeaturesError(`member ${cols.count + 1} of "features" is not a GeoJSON Feature`)
    const properties = isObject(feature.properties) ? feature.properties : {}
    if (cols.count < 1000) for (const [k, v] of Object.entries(properties)) props.set(k, mergeType(props.get(k), v))
    const field = (time.field ??= timeFieldOf(Object.keys(properties), properties) ?? '')
    const coords = (feature.geometry as { coordinates?: unknown } | null)?.coordinates
    const box = geometryBbox(crs === CRS84 ? coords : transformCoordinates(coords, toCrs84))
    cols.push(start, end, box, field === '' ? NaN : timeOf(properties[field]))
  }
  scanner.onCrs = text => {
    const name = (JSON.parse(text) as { properties?: { name?: unknown } }).properties?.name
    const named = typeof name === 'string' ? crsOf(name) : undefined
    if (named !== undefined) {
      crs = named
      toCrs84 = transformer(crs, CRS84)
    }
  }
  for await (const chunk of createReadStream(path, { highWaterMark: opts.chunkBytes ?? INDEX_CHUNK_BYTES }) as AsyncIterable<Buffer>)
    scanner.push(chunk, onFeature)
  if (!scanner.complete) throw new NoFeaturesError('the file is not complete JSON (it ends inside a string, object or array)')
  if (cols.count === 0 && scanner.documentType === 'Feature') {
    // A file that is one Feature: its whole text is the feature.
    const text = await readFile(path)
    onFeature(text, 0, text.length)
  }
  if (cols.count === 0 && scanner.documentType !== 'FeatureCollection')
    throw new NoFeaturesError('the file is not a GeoJSON FeatureCollection or Feature')
  return {
    format: 'GEOJSON',
    ...cols.trimmed(),
    extent: cols.extent(),
    timeExtent: cols.timeExtent(),
    timeField: time.field === undefined || time.field === '' ? undefined : time.field,
    properties: [...props].map(([name, type]) => ({ name, type })),
    crs
  }
}

function mergeType(was: PropertyType | undefined, v: unknown): PropertyType {
  if (v === null || v === undefined) return was ?? 'string'
  return widen(was, typeof v === 'boolean' ? 'boolean' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : 'string')
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COLON = 0x3a
/** Keys and short values at the top level are remembered up to this length. */
const MAX_KEY_BYTES = 64
const MAX_CRS_BYTES = 4096

/**
 * Follows the bytes of a JSON document and reports each member of the
 * top-level "features" array with its byte range. It trusts no structure it
 * has not seen: a feature is parsed by JSON.parse afterwards.
 */
class GeoJsonScanner {
  documentType: string | undefined
  onCrs: ((text: string) => void) | undefined
  #offset = 0
  #depth = 0
  #inString = false
  #escape = false
  /** The last string at depth 1 and whether it was followed by ":" (a key). */
  #string: number[] = []
  #key = ''
  #pendingKey = ''
  #expectTypeValue = false
  #featuresDepth = -1
  #feature: Buffer[] = []
  #featureStart = -1
  #featureBytes = 0
  #crs: Buffer[] | undefined
  #crsDepth = -1

  push(chunk: Buffer, onFeature: (text: Buffer, start: number, end: number) => void): void {
    let featureFrom = this.#featureStart >= 0 ? 0 : -1
    let crsFrom = this.#crs !== undefined ? 0 : -1
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!
      if (this.#inString) {
        if (this.#escape) this.#escape = false
        else if (b === BACKSLASH) this.#escape = true
        else if (b === QUOTE) {
          this.#inString = false
          if (this.#depth === 1) this.#endTopString()
        } else if (this.#depth === 1 && this.#string.length < MAX_KEY_BYTES) this.#string.push(b)
        continue
      }
      if (b === QUOTE) {
        this.#inString = true
        if (this.#depth === 1) this.#string = []
      } else if (b === COLON) {
        if (this.#depth === 1) {
          this.#key = this.#pendingKey
          this.#expectTypeValue = this.#key === 'type'
        }
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (this.#depth === 1 && this.#key === 'features' && b === OPEN_ARRAY) this.#featuresDepth = 2
        if (this.#depth === 1 && this.#key === 'crs' && b === OPEN_OBJECT && this.onCrs !== undefined) {
          this.#crs = []
          this.#crsDepth = 1
          crsFrom = i
        }
        if (this.#depth === this.#featuresDepth && b === OPEN_OBJECT && this.#featureStart < 0) {
          this.#featureStart = this.#offset + i
          featureFrom = i
        }
        this.#depth++
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        this.#depth--
        if (this.#depth === this.#featuresDepth && this.#featureStart >= 0 && b === CLOSE_OBJECT) {
          this.#feature.push(chunk.subarray(featureFrom, i + 1))
          const text = Buffer.concat(this.#feature)
          const start = this.#featureStart
          this.#feature = []
          this.#featureStart = -1
          this.#featureBytes = 0
          featureFrom = -1
          onFeature(text, start, this.#offset + i + 1)
        } else if (this.#depth === this.#featuresDepth && this.#featureStart >= 0) {
          throw new NoFeaturesError(`the file is not valid JSON: "]" closes the feature that starts at byte ${this.#featureStart}`)
        } else if (this.#depth === 1 && this.#featuresDepth === 2 && b === CLOSE_ARRAY) this.#featuresDepth = -1
        if (this.#crs !== undefined && this.#depth === this.#crsDepth) {
          this.#crs.push(chunk.subarray(crsFrom, i + 1))
          const text = Buffer.concat(this.#crs).toString('utf8')
          this.#crs = undefined
          crsFrom = -1
          this.onCrs?.(text)
        }
      } else if (b === 0x2c && this.#depth === 1) {
        this.#key = ''
      }
    }
    if (featureFrom >= 0) {
      const part = chunk.subarray(featureFrom)
      this.#featureBytes += part.length
      if (this.#featureBytes > MAX_FEATURE_BYTES) throw new TooManyFeaturesError(`a feature is larger than ${MAX_FEATURE_BYTES} bytes`)
      this.#feature.push(part)
    }
    if (crsFrom >= 0 && this.#crs !== undefined) {
      this.#crs.push(chunk.subarray(crsFrom))
      if (this.#crs.reduce((n, c) => n + c.length, 0) > MAX_CRS_BYTES) this.#crs = undefined
    }
    this.#offset += chunk.length
  }

  /** Whether the bytes so far end a whole JSON document (every string and bracket closed). */
  get complete(): boolean {
    return this.#depth === 0 && !this.#inString && this.#featureStart < 0
  }

  #endTopString(): void {
    const text = Buffer.from(this.#string).toString('utf8')
    if (this.#expectTypeValue && this.#key === 'type') {
      this.documentType = text
      this.#expectTypeValue = false
    } else this.#pendingKey = text
  }
}

/** A file's index: CSV or GeoJSON by its format code. */
export async function indexFeatureFile(path: string, format: 'CSV' | 'GEOJSON', opts: IndexOptions = {}): Promise<FeatureIndex> {
  return format === 'CSV' ? indexCsv(path, opts) : indexGeoJson(path, opts)
}

/** A CSV row (header → value) as a feature in CRS84, when it has coordinate columns. */
export function featureOfRow(row: Record<string, unknown>, id: number | string): Feature | undefined {
  const text: Record<string, string> = {}
  for (const [k, v] of Object.entries(row))
    text[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : ''
  const where = coordinateColumns(Object.keys(text), text)
  if (where === undefined) return undefined
  const x = numberIn(text[where.x])
  const y = numberIn(text[where.y])
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined
  const types = new ColumnTypes()
  types.see(text)
  const properties: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(text)) if (k !== where.x && k !== where.y) properties[k] = typed(v, types.of(k))
  return { type: 'Feature', id, geometry: { type: 'Point', coordinates: transformer(where.crs, CRS84)([x, y]) }, properties }
}

/**
 * The features at the given positions (ascending), read from the file by
 * their byte ranges; coordinates in `crs`. Feature ids are positions + 1.
 */
export async function readFeatures(path: string, index: FeatureIndex, positions: number[], crs: Crs): Promise<Feature[]> {
  if (positions.length === 0) return []
  const out: Feature[] = []
  const fh = await open(path, 'r')
  try {
    let runStart = 0
    for (let k = 1; k <= positions.length; k++) {
      const prev = positions[k - 1]!
      if (k < positions.length && index.starts[positions[k]!]! - index.ends[prev]! < READ_GAP_BYTES) continue
      const run = positions.slice(runStart, k)
      const from = index.starts[run[0]!]!
      const to = index.ends[run[run.length - 1]!]!
      const buf = Buffer.alloc(to - from)
      await fh.read(buf, 0, buf.length, from)
      out.push(...(index.format === 'CSV' ? csvFeatures(buf, from, index, run, crs) : jsonFeatures(buf, from, index, run, crs)))
      runStart = k
    }
  } finally {
    await fh.close()
  }
  return out
}

function csvFeatures(buf: Buffer, from: number, index: FeatureIndex, run: number[], crs: Crs): Feature[] {
  const csv = index.csv!
  const fn = transformer(index.crs, crs)
  // Each record by its own bytes: a page parses its rows, not the gaps between them.
  return run.map(pos => {
    const row = csvRecord(buf.toString('utf8', index.starts[pos]! - from, index.ends[pos]! - from), csv.header, csv.delimiter)
    const properties: Record<string, unknown> = {}
    for (const p of index.properties) properties[p.name] = typed(row[p.name] ?? '', p.type)
    const x = numberIn(row[csv.x])
    const y = numberIn(row[csv.y])
    const geometry = Number.isFinite(x) && Number.isFinite(y) ? { type: 'Point', coordinates: fn([x, y]) } : null
    return { type: 'Feature' as const, id: pos + 1, geometry, properties }
  })
}

/** One CSV record (with its line break, maybe after empty lines): split directly when unquoted, else by csv-parse. */
function csvRecord(text: string, header: string[], delimiter: string): Record<string, string> {
  const record: Record<string, string> = {}
  if (!text.includes('"')) {
    const values = text.replace(/^[\r\n]+|[\r\n]+$/g, '').split(delimiter)
    for (let i = 0; i < header.length; i++) record[header[i]!] = values[i]?.trim() ?? ''
    return record
  }
  const rows = parseCsvText<Record<string, string>>(text, {
    columns: header,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true
  })
  return rows[0] ?? record
}

function jsonFeatures(buf: Buffer, from: number, index: FeatureIndex, run: number[], crs: Crs): Feature[] {
  const fn = index.crs === crs ? undefined : transformer(index.crs, crs)
  return run.map(pos => {
    const f = JSON.parse(buf.toString('utf8', index.starts[pos]! - from, index.ends[pos]! - from)) as Record<string, unknown>
    const g = isObject(f.geometry) ? (f.geometry as Feature['geometry']) : null
    const geometry = g !== null && fn !== undefined ? transformGeometry(g, fn) : g
    return { type: 'Feature' as const, id: pos + 1, geometry, properties: isObject(f.properties) ? f.properties : {} }
  })
}

function transformGeometry(g: NonNullable<Feature['geometry']>, fn: ReturnType<typeof transformer>): Feature['geometry'] {
  if (g.type === 'GeometryCollection' && Array.isArray(g.geometries)) {
    return { type: g.type, geometries: (g.geometries as Array<NonNullable<Feature['geometry']>>).map(x => transformGeometry(x, fn)) }
  }
  return { type: g.type, coordinates: transformCoordinates(g.coordinates, fn) }
}
