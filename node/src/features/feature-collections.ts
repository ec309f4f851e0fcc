import type { BBox, DatasetMetadata, Distribution } from '@swf/protocol'
import { NotFoundError, ValidationError } from '../errors.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { SearchService } from '../services/search-service.js'
import { CRS84, type Crs } from '../spatial/crs.js'
import { CONVERTED_FORMATS, convertedGeoJson, convertedPathOf, isConverted } from './converted-file.js'
import { csvHasCoordinates, indexFeatureFile, readFeatures, type Feature, type FeatureIndex } from './feature-file.js'

// Every CSV or GeoJSON file of the region as an OGC API – Features
// collection: listed from the catalog (no file is read to list), its items
// read through a per-file index (built on first use, kept while it fits).

/** Indexes kept in memory, by their size (56 bytes per feature). */
export const FEATURE_INDEX_CACHE_BYTES = 64 * 1024 * 1024
/** Indexes built at the same time; more wait (each build is one streaming pass over a file, on the event loop). */
export const MAX_CONCURRENT_INDEX_BUILDS = 2
/** Largest page of items (OGC `limit`); a larger limit is refused, not clamped. */
export const MAX_ITEMS_LIMIT = 10_000
export const DEFAULT_ITEMS_LIMIT = 10
/** Collections listed at most on one /collections page (the rest follow by `next` link). */
export const MAX_COLLECTIONS_PAGE = 500
/** Features read per batch while property filters are checked. */
const FILTER_BATCH = 2_000
/** Matches of property filters kept (4 bytes per matching feature). */
export const FILTER_CACHE_BYTES = 16 * 1024 * 1024
/** CSV header checks remembered. */
const MAX_CHECKED_CSV = 10_000
/** Formats whose files are collections. */
export const FEATURE_FORMATS = ['GEOJSON', 'CSV', ...CONVERTED_FORMATS] as const

/** A collection's id: `{kommune}.{datasetId}.{distributionId}` (slugs hold no dots, so it splits back). */
export const collectionId = (name: string, datasetId: string, distId: string): string => `${name}.${datasetId}.${distId}`

export interface FeatureCollectionInfo {
  /** `{kommune}.{datasetId}.{distributionId}`: stable and readable (slugs hold no dots). */
  id: string
  title: string
  description: string
  publisher: string
  kommune: string | null
  dataset: DatasetMetadata
  distribution: Distribution & { sha256: string }
  /** The catalog's extent of the dataset (CRS84); the file's own once it was indexed. */
  bbox: BBox | undefined
}

export interface ItemsQuery {
  /** CRS84. */
  bbox?: BBox
  /** Epoch ms, open ends as ±Infinity. */
  datetime?: [number, number]
  /** Property equals value, all must hold. */
  properties: Array<[string, string]>
  limit: number
  offset: number
  crs: Crs
}

export interface ItemsPage {
  features: Feature[]
  numberMatched: number
  index: FeatureIndex
}

export interface FeatureCollectionsDeps {
  regional: RegionalCatalog
  search: SearchService
  /** The collection-id prefix of a publisher (its Kommune's slug), and back. */
  nameOf: (peerId: string) => string
  peerOf: (name: string) => string | undefined
  /** Makes sure an intact copy of a distribution's file is held (fetched and verified when remote): its path, and where it came from. */
  localFile: (publisher: string, datasetId: string, distId: string) => Promise<{ path: string; source: string }>
  /** The path of a file this node holds (undefined when it does not). */
  heldPath: (sha256: string) => Promise<string | undefined>
  /** Where KML and GPX files are kept converted to GeoJSON. */
  convertedDir: string
  /** This node's peer id. */
  self: string
  cacheBytes?: number
  /** Largest file served as items, in features (default MAX_INDEXED_FEATURES). */
  maxFeatures?: number
}

export class FeatureCollections {
  readonly #indexes = new Map<string, Promise<FeatureIndex>>()
  readonly #sizes = new Map<string, number>()
  /** Positions matching a property filter, by file and filter, least recently used first. */
  readonly #filtered = new Map<string, Uint32Array>()
  #filteredBytes = 0
  /** Held CSVs whose header was checked for coordinates, by sha256. */
  readonly #csvChecked = new Map<string, boolean>()
  #cached = 0
  readonly #builds = new Gate(MAX_CONCURRENT_INDEX_BUILDS)

  constructor(private readonly deps: FeatureCollectionsDeps) {}

  /** A page of the region's feature collections, newest datasets first; `cursor` continues. */
  async list(limit = MAX_COLLECTIONS_PAGE, cursor?: string): Promise<{ collections: FeatureCollectionInfo[]; nextCursor: string | null }> {
    const out: FeatureCollectionInfo[] = []
    let next: string | null = cursor ?? null
    do {
      const page = this.deps.search.search({ format: [...FEATURE_FORMATS], limit: 100, ...(next === null ? {} : { cursor: next }) }, false)
      for (const hit of page.items) {
        for (const c of this.#collectionsOf(hit.provenance.publisher, hit.provenance.kommune, hit.dataset)) {
          if (await this.#holdsFeatures(c)) out.push(c)
        }
      }
      next = page.nextCursor
    } while (next !== null && out.length < limit)
    return { collections: out, nextCursor: next }
  }

  /**
   * Whether a collection is listed: GeoJSON always; a CSV held here when its
   * header names coordinates, one not held when the catalog gives its
   * dataset an extent (publish reads it from the coordinates). Listing never
   * fetches a file.
   */
  async #holdsFeatures(c: FeatureCollectionInfo): Promise<boolean> {
    if (c.distribution.format !== 'CSV') return true
    const sha = c.distribution.sha256
    const known = this.#csvChecked.get(sha)
    if (known !== undefined) return known
    const path = await this.deps.heldPath(sha)
    if (path === undefined) return c.bbox !== undefined
    const has = await csvHasCoordinates(path).catch(() => false)
    if (this.#csvChecked.size >= MAX_CHECKED_CSV) this.#csvChecked.delete(this.#csvChecked.keys().next().value!)
    this.#csvChecked.set(sha, has)
    return has
  }

  /** One collection by id; NotFoundError when the id names nothing that holds features. */
  get(id: string): FeatureCollectionInfo {
    const [name, datasetId, distId, ...rest] = id.split('.')
    const publisher = name === undefined ? undefined : this.deps.peerOf(name)
    if (publisher === undefined || datasetId === undefined || distId === undefined || rest.length > 0) {
      throw new NotFoundError(`no collection "${id}" (ids are kommune.dataset.distribution, as /collections lists them)`)
    }
    const view = this.deps.regional.get(publisher, datasetId)
    return this.forDistribution(publisher, view.publisher.kommune, view.dataset, distId)
  }

  /** The collection of one distribution of a dataset; NotFoundError when it is no CSV or GeoJSON file. */
  forDistribution(publisher: string, kommune: string | null, dataset: DatasetMetadata, distId: string): FeatureCollectionInfo {
    const found = this.#collectionsOf(publisher, kommune, dataset).find(c => c.distribution.id === distId)
    if (found === undefined) throw new NotFoundError(`dataset "${dataset.id}" has no CSV or GeoJSON file "${distId}"`)
    return found
  }

  /** Index builds running now (at most MAX_CONCURRENT_INDEX_BUILDS). */
  get buildsRunning(): number {
    return this.#builds.running
  }

  /** Bytes the kept indexes take (at most the cache budget, beside the one in use). */
  get cachedBytes(): number {
    return this.#cached
  }

  /** The publisher a collection-id prefix names. */
  publisherOf(name: string): string | undefined {
    return this.deps.peerOf(name)
  }

  /**
   * The index when it costs no transfer: already built, or the file is this
   * node's own (never fetches a neighbour's file just to describe it).
   */
  async cachedIndex(collection: FeatureCollectionInfo): Promise<FeatureIndex | undefined> {
    if (!this.#indexes.has(collection.distribution.sha256) && collection.publisher !== this.deps.self) return undefined
    return this.indexOf(collection).then(
      r => r.index,
      () => undefined
    )
  }

  /** The file's index (built on first use): its extent, time extent and properties. */
  async indexOf(collection: FeatureCollectionInfo): Promise<{ index: FeatureIndex; path: string; source: string }> {
    const { path: original, source } = await this.deps.localFile(collection.publisher, collection.dataset.id, collection.distribution.id)
    const sha = collection.distribution.sha256
    const format = collection.distribution.format
    const converted = isConverted(format)
    // KML and GPX are read from their GeoJSON form.
    const path = converted ? convertedPathOf(this.deps.convertedDir, sha) : original
    let p = this.#indexes.get(sha)
    if (p === undefined) {
      p = this.#builds.run(async () => {
        if (converted) await convertedGeoJson(original, sha, format, this.deps.convertedDir, { maxFeatures: this.deps.maxFeatures })
        return indexFeatureFile(path, format === 'CSV' ? 'CSV' : 'GEOJSON', { maxFeatures: this.deps.maxFeatures })
      })
      this.#indexes.set(sha, p)
      p.then(
        index => {
          this.#keep(sha, index.bytes)
        },
        () => {
          this.#indexes.delete(sha)
        }
      )
    } else {
      // Most recently used last (Map order).
      this.#indexes.delete(sha)
      this.#indexes.set(sha, p)
    }
    return { index: await p, path, source }
  }

  async items(collection: FeatureCollectionInfo, q: ItemsQuery): Promise<ItemsPage & { source: string }> {
    const { index, path, source } = await this.indexOf(collection)
    if (q.properties.length === 0) {
      // Counted in one pass over the index; only the page's positions are kept (no array per feature per request).
      const { count, window } = matchingWindow(index, q, q.offset, q.limit)
      return { features: await readFeatures(path, index, window, q.crs), numberMatched: count, index, source }
    }
    const unknown = q.properties.find(([name]) => !index.properties.some(p => p.name === name))
    if (unknown !== undefined) throw new ValidationError(unknown[0], `collection ${collection.id} has no property "${unknown[0]}"`)
    // A property filter reads every candidate once; its matches are kept, so that a client paging
    // through them (GDAL) does not scan the file again for every page.
    const key = filterKey(collection, q)
    let matched = this.#filtered.get(key)
    if (matched === undefined) {
      const candidates = matchingWindow(index, q, 0, index.count).window
      const hits: number[] = []
      for (let i = 0; i < candidates.length; i += FILTER_BATCH) {
        for (const f of await readFeatures(path, index, candidates.slice(i, i + FILTER_BATCH), q.crs)) {
          if (q.properties.every(([name, value]) => propertyEquals(f.properties[name], value))) hits.push((f.id as number) - 1)
        }
      }
      matched = Uint32Array.from(hits)
      this.#keepFiltered(key, matched)
    } else {
      this.#filtered.delete(key)
      this.#filtered.set(key, matched)
    }
    const positions = Array.from(matched.subarray(q.offset, q.offset + q.limit))
    return { features: await readFeatures(path, index, positions, q.crs), numberMatched: matched.length, index, source }
  }

  /** Whether items() reads every candidate of the file for this query's property filter (no earlier request's matches are kept). */
  scansFile(collection: FeatureCollectionInfo, q: Pick<ItemsQuery, 'bbox' | 'datetime' | 'properties'>): boolean {
    return q.properties.length > 0 && !this.#filtered.has(filterKey(collection, q))
  }

  /** One feature by id (its 1-based position in the file). */
  async item(collection: FeatureCollectionInfo, fid: number, crs: Crs = CRS84): Promise<{ feature: Feature; source: string }> {
    const { index, path, source } = await this.indexOf(collection)
    if (!Number.isInteger(fid) || fid < 1 || fid > index.count) throw new NotFoundError(`collection ${collection.id} has no feature ${fid}`)
    const [feature] = await readFeatures(path, index, [fid - 1], crs)
    return { feature: feature!, source }
  }

  #collectionsOf(publisher: string, kommune: string | null, dataset: DatasetMetadata): FeatureCollectionInfo[] {
    const prefix = this.deps.nameOf(publisher)
    return dataset.distributions.flatMap(d => {
      if (d.sha256 === undefined || !(FEATURE_FORMATS as readonly string[]).includes(d.format)) return []
      const info: FeatureCollectionInfo = {
        id: collectionId(prefix, dataset.id, d.id),
        title: dataset.distributions.length > 1 ? `${dataset.title}: ${d.title}` : dataset.title,
        description: dataset.description,
        publisher,
        kommune,
        dataset,
        distribution: { ...d, sha256: d.sha256 },
        bbox: dataset.spatial?.bbox
      }
      return [info]
    })
  }

  #keepFiltered(key: string, positions: Uint32Array): void {
    this.#filtered.set(key, positions)
    this.#filteredBytes += positions.byteLength
    for (const [k, v] of this.#filtered) {
      if (this.#filteredBytes <= FILTER_CACHE_BYTES || k === key) break
      this.#filtered.delete(k)
      this.#filteredBytes -= v.byteLength
    }
  }

  #keep(sha: string, bytes: number): void {
    this.#sizes.set(sha, bytes)
    this.#cached += bytes
    const limit = this.deps.cacheBytes ?? FEATURE_INDEX_CACHE_BYTES
    // Least recently used first; the one just built and those still building stay.
    for (const key of [...this.#indexes.keys()]) {
      if (this.#cached <= limit) break
      const size = this.#sizes.get(key)
      if (key === sha || size === undefined) continue
      this.#indexes.delete(key)
      this.#sizes.delete(key)
      this.#cached -= size
    }
  }
}

/**
 * How many features meet the bbox and the time interval, and the positions
 * of those from the `skip`-th on, at most `take` of them, in file order.
 */
function matchingWindow(
  index: FeatureIndex,
  q: Pick<ItemsQuery, 'bbox' | 'datetime'>,
  skip: number,
  take: number
): { count: number; window: number[] } {
  const window: number[] = []
  let count = 0
  const b = q.bbox
  const t = index.timeField === undefined ? undefined : q.datetime
  for (let i = 0; i < index.count; i++) {
    if (b !== undefined) {
      const o = i * 4
      const minX = index.boxes[o]!
      // NaN (no geometry) fails every comparison: such features never meet a bbox.
      if (!(minX <= b[2] && index.boxes[o + 2]! >= b[0] && index.boxes[o + 1]! <= b[3] && index.boxes[o + 3]! >= b[1])) continue
    }
    if (t !== undefined) {
      const time = index.times[i]!
      if (!(time >= t[0] && time <= t[1])) continue
    }
    if (count >= skip && window.length < take) window.push(i)
    count++
  }
  return { count, window }
}

const filterKey = (collection: FeatureCollectionInfo, q: Pick<ItemsQuery, 'bbox' | 'datetime' | 'properties'>): string =>
  `${collection.distribution.sha256}|${JSON.stringify([q.bbox ?? null, q.datetime ?? null, q.properties])}`

function propertyEquals(v: unknown, value: string): boolean {
  if (typeof v === 'number') return value.trim() !== '' && Number(value.replace(',', '.')) === v
  if (typeof v === 'boolean') return String(v) === value
  return typeof v === 'string' && v === value
}

/** Runs at most `limit` tasks at once; the others wait in order. */
class Gate {
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  /** Tasks running now (for tests and metrics). */
  get running(): number {
    return this.#running
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>(resolve => this.#waiting.push(resolve))
    this.#running++
    try {
      return await task()
    } finally {
      this.#running--
      this.#waiting.shift()?.()
    }
  }
}
