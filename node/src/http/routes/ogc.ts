import { Hono, type Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from 'pino'
import { TokenBuckets, type BBox } from '@swf/protocol'
import { downloadPath } from '../../file-names.js'
import { bboxToCrs84, crsOf, CRS84, type Crs } from '../../spatial/crs.js'
import { recordInTime, recordOf, type CatalogRecord } from '../../features/catalog-records.js'
import {
  DEFAULT_ITEMS_LIMIT,
  MAX_ITEMS_LIMIT,
  type FeatureCollectionInfo,
  type FeatureCollections
} from '../../features/feature-collections.js'
import { NoFeaturesError, timeOf, TooManyFeaturesError } from '../../features/feature-file.js'
import { matchesAsFeatures } from '../../features/matches-as-features.js'
import { SharedDataAnswers } from '../../region/federated-data-query.js'
import { clientAddress } from '../client-address.js'
import {
  collectionDocument,
  CONFORMANCE,
  GEOJSON,
  landingPage,
  OPENAPI_JSON,
  openApiOgc,
  queryablesDocument
} from '../../features/ogc-documents.js'
import type { RunDataQuery } from './data.js'
import type { SearchService } from '../../services/search-service.js'
import { MAX_DATA_QUERY_LIMIT } from '@swf/protocol'
import { ValidationError } from '../../errors.js'
import { toApiError } from '../errors.js'

export interface OgcRouteDeps {
  collections: FeatureCollections
  search: SearchService
  runDataQuery: RunDataQuery
  nameOf: (peerId: string) => string
  self: string
  kommune: string
  publicUrl?: string
  log: Logger
  /** Items requests per client address (config http.itemsPerMinute, http.itemsBurst). */
  itemsRate: { perMinute: number; burst: number }
}

/** OGC API exception codes by HTTP status (the body is OGC's exception schema: code, description). */
const EXCEPTION_CODES: Partial<Record<number, string>> = {
  400: 'InvalidParameterValue',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  422: 'NoFeatures',
  429: 'TooManyRequests',
  502: 'UpstreamCorrupt',
  503: 'Unavailable'
}
/** Südwestfalen's extent (CRS84): the regional view's default bbox and the catalog's extent. */
const REGION_BBOX: BBox = [7.4, 50.7, 8.95, 51.75]
/** Records per page of /collections/catalog/items. */
const MAX_RECORDS_LIMIT = 100
/** Search pages read at most to fill one page of records filtered by datetime. */
const MAX_RECORD_SEARCH_PAGES = 20
const COMMON_ITEM_PARAMS = new Set(['limit', 'offset', 'bbox', 'bbox-crs', 'crs', 'datetime', 'f'])
/**
 * What an items request counts against its client's rate (http.itemsPerMinute):
 * one per started 100 features of its page, and FILTER_SCAN_COST more when its
 * property filter is new here: that reads every candidate of the file (0.7
 * CPU-s for a million features), a page only its own features.
 */
const FEATURES_PER_COUNT = 100
const FILTER_SCAN_COST = 600

/**
 * OGC API – Features (Part 1 Core, GeoJSON; Part 2 CRS) over every CSV and
 * GeoJSON file of the region, and OGC API – Records over the regional
 * catalog, at the node's root: `ogrinfo OAPIF:http://node/` works as is.
 */
export function ogcRoutes(deps: OgcRouteDeps): Hono {
  const { collections } = deps
  const app = new Hono()
  const base = (c: Context): string => deps.publicUrl ?? new URL(c.req.url).origin

  app.onError((err, c) => exception(c, err, deps.log))

  // Items of the files are read here, per request (the regional view has the federated query limit, the catalog is one search).
  const charge = itemsRate(deps.itemsRate)

  // The landing page shares `/` with the web UI: JSON for clients that ask for it (GDAL sends Accept: application/json).
  app.get('/', async (c, next) => {
    if (!wantsJson(c)) return next()
    return c.json(landingPage(base(c), deps.kommune))
  })
  app.get('/conformance', c => c.json({ conformsTo: CONFORMANCE }))
  app.get('/api', async c => {
    const listed = (await collections.list()).collections
    const withIndex = await Promise.all(listed.map(async c2 => ({ c: c2, index: await collections.cachedIndex(c2) })))
    return c.body(JSON.stringify(openApiOgc(base(c), deps.kommune, withIndex)), 200, { 'Content-Type': OPENAPI_JSON })
  })

  app.get('/collections', async c => {
    const cursor = c.req.query('cursor')
    const { collections: page, nextCursor } = await collections.list(undefined, cursor)
    const b = base(c)
    return c.json({
      links: [
        { href: `${b}/collections`, rel: 'self', type: 'application/json' },
        ...(nextCursor === null
          ? []
          : [{ href: `${b}/collections?cursor=${encodeURIComponent(nextCursor)}`, rel: 'next', type: 'application/json' }])
      ],
      collections: [
        ...(cursor === undefined ? [catalogCollection(b), regionCollection(b)] : []),
        ...page.map(col =>
          collectionDocument(b, col, undefined, b + downloadPath(deps.self, col.publisher, col.dataset, col.distribution.id))
        )
      ],
      crs: [CRS84]
    })
  })

  // ---- OGC API – Records: the regional catalog ----
  app.get('/collections/catalog', c => c.json(catalogCollection(base(c))))
  app.get('/collections/catalog/items', c => {
    const b = base(c)
    refuseUnknown(c, new Set(['q', 'bbox', 'datetime', 'limit', 'cursor', 'f']))
    const limit = intParam(c.req.query('limit'), 'limit', DEFAULT_ITEMS_LIMIT, 1, MAX_RECORDS_LIMIT)
    const bbox = readBbox(c.req.query('bbox'), CRS84)
    const datetime = readDatetime(c.req.query('datetime'))
    const q = c.req.query('q')
    const records: CatalogRecord[] = []
    let cursor = c.req.query('cursor')
    let total = 0
    let exact = true
    for (let pages = 0; pages < MAX_RECORD_SEARCH_PAGES && records.length < limit; pages++) {
      const r = deps.search.search(
        {
          ...(q === undefined || q.trim() === '' ? {} : { q }),
          ...(bbox === undefined ? {} : { bbox }),
          limit: datetime === undefined ? limit : MAX_RECORDS_LIMIT,
          ...(cursor === undefined ? {} : { cursor })
        },
        false
      )
      if (pages === 0) {
        total = r.total
        exact = r.totalExact && datetime === undefined
      }
      for (const hit of r.items) {
        if (datetime !== undefined && !recordInTime(hit.dataset, hit.provenance.signedAt, datetime)) continue
        records.push(recordOf(hit.dataset, hit.provenance, { base: b, nameOf: deps.nameOf, self: deps.self }))
      }
      cursor = r.nextCursor ?? undefined
      if (cursor === undefined) break
    }
    const self = new URL(c.req.url)
    const links = [{ href: `${b}${self.pathname}${self.search}`, rel: 'self', type: GEOJSON }]
    if (cursor !== undefined) {
      const next = new URLSearchParams(self.search)
      next.set('cursor', cursor)
      links.push({ href: `${b}/collections/catalog/items?${next.toString()}`, rel: 'next', type: GEOJSON })
    }
    return geojson(c, {
      type: 'FeatureCollection',
      features: records,
      ...(exact ? { numberMatched: total } : {}),
      numberReturned: records.length,
      timeStamp: new Date().toISOString(),
      links
    })
  })
  app.get('/collections/catalog/items/:recordId', c => {
    const [name, datasetId, ...rest] = c.req.param('recordId').split('.')
    const collection = name === undefined || datasetId === undefined || rest.length > 0 ? undefined : collections.publisherOf(name)
    if (collection === undefined) throw new OgcError(404, `no record "${c.req.param('recordId')}" (ids are kommune.dataset)`)
    const hit = deps.search.hit(collection, datasetId!)
    if (hit === undefined) throw new OgcError(404, `no record "${c.req.param('recordId')}"`)
    return geojson(c, recordOf(hit.dataset, hit.provenance, { base: base(c), nameOf: deps.nameOf, self: deps.self }))
  })

  // ---- The regional view: every Kommune's features in a bbox, asked live of every node ----
  // Clients looping on the same view share one answer (see SharedDataAnswers).
  const regional = new SharedDataAnswers(deps.runDataQuery)
  app.get('/collections/region', c => c.json(regionCollection(base(c))))
  app.get('/collections/region/items', async c => {
    refuseUnknown(c, new Set(['bbox', 'bbox-crs', 'limit', 'timeoutMs', 'f']))
    // Without a bbox: all of Südwestfalen.
    const bbox = readBbox(c.req.query('bbox'), crsParam(c, 'bbox-crs')) ?? REGION_BBOX
    const limit = intParam(c.req.query('limit'), 'limit', 100, 1, MAX_DATA_QUERY_LIMIT)
    const timeoutMs = intParam(c.req.query('timeoutMs'), 'timeoutMs', 2_000, 100, 30_000)
    const result = await regional.answer({ bbox, where: [], limit }, timeoutMs, clientAddress(c))
    const features = matchesAsFeatures(result.matches, deps.nameOf)
    return geojson(c, {
      type: 'FeatureCollection',
      features,
      numberReturned: features.length,
      timeStamp: new Date().toISOString(),
      links: [{ href: c.req.url, rel: 'self', type: GEOJSON }],
      truncated: result.truncated,
      nodes: result.nodes
    })
  })

  // ---- OGC API – Features: one collection per CSV or GeoJSON file ----
  const collectionOf = (c: Context): FeatureCollectionInfo => collections.get(c.req.param('collectionId') ?? '')

  app.get('/collections/:collectionId', async c => {
    const col = collectionOf(c)
    const b = base(c)
    return c.json(
      collectionDocument(
        b,
        col,
        await collections.cachedIndex(col),
        b + downloadPath(deps.self, col.publisher, col.dataset, col.distribution.id)
      )
    )
  })

  app.get('/collections/:collectionId/queryables', async c => {
    const col = collectionOf(c)
    const { index } = await collections.indexOf(col)
    return c.body(JSON.stringify(queryablesDocument(base(c), col, index)), 200, { 'Content-Type': 'application/schema+json' })
  })

  app.get('/collections/:collectionId/items', async c => {
    const col = collectionOf(c)
    const crs = crsParam(c, 'crs')
    const limit = intParam(c.req.query('limit'), 'limit', DEFAULT_ITEMS_LIMIT, 1, MAX_ITEMS_LIMIT)
    const offset = intParam(c.req.query('offset'), 'offset', 0, 0, 1_000_000_000)
    const bbox = readBbox(c.req.query('bbox'), crsParam(c, 'bbox-crs'))
    const datetime = readDatetime(c.req.query('datetime'))
    const properties: Array<[string, string]> = []
    for (const [k, v] of Object.entries(c.req.queries())) if (!COMMON_ITEM_PARAMS.has(k)) properties.push([k, v[v.length - 1] ?? ''])
    const query = {
      ...(bbox === undefined ? {} : { bbox }),
      ...(datetime === undefined ? {} : { datetime }),
      properties,
      limit,
      offset,
      crs
    }
    charge(c, Math.ceil(limit / FEATURES_PER_COUNT) + (collections.scansFile(col, query) ? FILTER_SCAN_COST : 0))
    const page = await collections.items(col, query)
    const b = base(c)
    const url = new URL(c.req.url)
    const at = (o: number): string => {
      const p = new URLSearchParams(url.search)
      p.set('offset', String(o))
      p.set('limit', String(limit))
      return `${b}/collections/${col.id}/items?${p.toString()}`
    }
    const links = [
      { href: `${b}${url.pathname}${url.search}`, rel: 'self', type: GEOJSON },
      { href: `${b}/collections/${col.id}`, rel: 'collection', type: 'application/json' }
    ]
    if (offset + page.features.length < page.numberMatched) links.push({ href: at(offset + limit), rel: 'next', type: GEOJSON })
    if (offset > 0) links.push({ href: at(Math.max(0, offset - limit)), rel: 'prev', type: GEOJSON })
    return geojson(
      c,
      {
        type: 'FeatureCollection',
        features: page.features,
        numberMatched: page.numberMatched,
        numberReturned: page.features.length,
        timeStamp: new Date().toISOString(),
        links,
        origin: originOf(col, page.source)
      },
      crs
    )
  })

  app.get('/collections/:collectionId/items/:featureId', async c => {
    const col = collectionOf(c)
    const fid = c.req.param('featureId')
    if (!/^\d{1,9}$/.test(fid)) throw new OgcError(404, `collection ${col.id} has no feature "${fid}" (feature ids are positions from 1)`)
    const crs = crsParam(c, 'crs')
    charge(c, 1)
    const { feature, source } = await collections.item(col, Number(fid), crs)
    const b = base(c)
    return geojson(
      c,
      {
        ...feature,
        links: [
          { href: `${b}/collections/${col.id}/items/${fid}`, rel: 'self', type: GEOJSON },
          { href: `${b}/collections/${col.id}`, rel: 'collection', type: 'application/json' }
        ],
        origin: originOf(col, source)
      },
      crs
    )
  })

  return app
}

/** A client error in OGC's exception shape. */
export class OgcError extends Error {
  override readonly name = 'OgcError'
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly field?: string
  ) {
    super(message)
  }
}

function exception(c: Context, err: Error, log: Logger): Response {
  let status: ContentfulStatusCode
  let description = err.message
  let field: string | undefined
  if (err instanceof OgcError) {
    status = err.status
    field = err.field
  } else if (err instanceof NoFeaturesError) status = 422
  else if (err instanceof TooManyFeaturesError) status = 413
  else {
    const api = toApiError(err, log, { method: c.req.method, path: c.req.path })
    status = api.status
    description = api.message
    field = api.field
  }
  const code = EXCEPTION_CODES[status] ?? (status >= 500 ? 'ServerError' : 'BadRequest')
  return c.json({ code, description, ...(field === undefined ? {} : { field }) }, status)
}

/** Counts items requests per client address (token bucket); past the rate a 429 with Retry-After. */
function itemsRate(rate: { perMinute: number; burst: number }): (c: Context, count: number) => void {
  const buckets = new TokenBuckets(rate.perMinute / 60, rate.burst)
  return (c, count) => {
    // Never more than the burst: every request must be able to pass at all.
    const n = Math.min(count, rate.burst)
    const who = clientAddress(c)
    if (buckets.take(who, n)) return
    c.header('Retry-After', String(Math.max(buckets.secondsUntilToken(who), Math.ceil((n * 60) / rate.perMinute))))
    throw new OgcError(
      429,
      `too many items requests from ${who}: ${rate.perMinute} per minute, a page counts one per ${FEATURES_PER_COUNT} features, ` +
        `a new property filter ${FILTER_SCAN_COST} more; retry later`
    )
  }
}

function wantsJson(c: Context): boolean {
  const f = c.req.query('f')
  if (f !== undefined) return f === 'json'
  const accept = c.req.header('accept') ?? ''
  return /application\/(json|geo\+json)/.test(accept) && !accept.includes('text/html')
}

function geojson(c: Context, body: unknown, crs: Crs = CRS84): Response {
  return c.body(JSON.stringify(body), 200, { 'Content-Type': GEOJSON, 'Content-Crs': `<${crs}>` })
}

function originOf(col: FeatureCollectionInfo, source: string): Record<string, unknown> {
  return {
    publisher: col.publisher,
    kommune: col.kommune,
    datasetId: col.dataset.id,
    distributionId: col.distribution.id,
    servedFrom: source
  }
}

function catalogCollection(base: string): Record<string, unknown> {
  return {
    id: 'catalog',
    title: 'Regionaler Katalog Südwestfalen',
    description: 'Alle Datensätze aller Kommunen, die dieser Knoten kennt, als OGC API Records (signiert, mit Herkunft).',
    itemType: 'record',
    type: 'Collection',
    links: [
      { href: `${base}/collections/catalog`, rel: 'self', type: 'application/json' },
      { href: `${base}/collections/catalog/items`, rel: 'items', type: GEOJSON, title: 'records' }
    ],
    extent: { spatial: { bbox: [REGION_BBOX], crs: CRS84 } }
  }
}

function regionCollection(base: string): Record<string, unknown> {
  return {
    id: 'region',
    title: 'Region Südwestfalen: Features aller Kommunen',
    description:
      'Die Features aller Kommunen in einer bbox (ohne bbox: ganz Südwestfalen), live bei jedem Knoten angefragt; jedes Feature nennt seine Herkunft, `nodes` den Status jedes Knotens.',
    itemType: 'feature',
    links: [
      { href: `${base}/collections/region`, rel: 'self', type: 'application/json' },
      { href: `${base}/collections/region/items`, rel: 'items', type: GEOJSON, title: 'features' }
    ],
    extent: { spatial: { bbox: [REGION_BBOX], crs: CRS84 } },
    crs: [CRS84]
  }
}

function refuseUnknown(c: Context, allowed: Set<string>): void {
  const unknown = Object.keys(c.req.queries()).find(k => !allowed.has(k))
  if (unknown !== undefined) throw new OgcError(400, `unknown query parameter "${unknown}" (allowed: ${[...allowed].join(', ')})`, unknown)
}

function intParam(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback
  if (!/^\d{1,15}$/.test(raw)) throw new OgcError(400, `${name} must be a whole number from ${min} to ${max}`, name)
  const n = Number(raw)
  if (n < min || n > max) throw new OgcError(400, `${name} must be from ${min} to ${max}, got ${raw}`, name)
  return n
}

function crsParam(c: Context, name: 'crs' | 'bbox-crs'): Crs {
  const raw = c.req.query(name)
  if (raw === undefined || raw === '') return CRS84
  const crs = crsOf(raw)
  if (crs === undefined) throw new OgcError(400, `${name} "${raw}" is not served; use one of the collection's crs list`, name)
  return crs
}

/** A bbox in `crs` as CRS84 (4 numbers, or 6 with heights, which are ignored); a 400 naming bbox when it is not one. */
function readBbox(raw: string | undefined, crs: Crs): BBox | undefined {
  if (raw === undefined) return undefined
  const parts = raw.split(',').map(s => s.trim())
  const nums = parts.map(Number)
  if ((parts.length !== 4 && parts.length !== 6) || parts.some(p => p === '') || nums.some(n => !Number.isFinite(n))) {
    throw new OgcError(400, 'bbox is four numbers minx,miny,maxx,maxy (or six with heights)', 'bbox')
  }
  const box = (parts.length === 6 ? [nums[0], nums[1], nums[3], nums[4]] : nums) as [number, number, number, number]
  const b = bboxToCrs84(box, crs)
  if (b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b.some(n => !Number.isFinite(n))) {
    throw new OgcError(400, `bbox ${raw} lies outside the range of longitude −180…180 and latitude −90…90`, 'bbox')
  }
  if (b[0] > b[2] || b[1] > b[3]) throw new OgcError(400, `bbox ${raw}: the lower corner must not lie above or right of the upper`, 'bbox')
  return b
}

/** datetime as [from, to] in epoch ms: an instant, or an interval with `..` (or nothing) for an open end. */
function readDatetime(raw: string | undefined): [number, number] | undefined {
  if (raw === undefined || raw === '') return undefined
  const parts = raw.split('/')
  const one = (s: string | undefined, open: number): number => {
    if (s === undefined || s === '' || s === '..') return open
    const t = timeOf(s)
    if (Number.isNaN(t)) throw new ValidationError('datetime', `datetime "${raw}" is not an RFC 3339 instant or interval (a/b, ../b, a/..)`)
    return t
  }
  if (parts.length === 1) {
    const t = one(parts[0], NaN)
    // A date alone is the whole day.
    return [t, /^\d{4}-\d{2}-\d{2}$/.test(raw) ? t + 86_399_999 : t]
  }
  if (parts.length !== 2 || parts.every(p => p === '' || p === '..')) {
    throw new ValidationError('datetime', `datetime "${raw}" is not an RFC 3339 instant or interval (a/b, ../b, a/..)`)
  }
  const from = one(parts[0], -Infinity)
  const to = one(parts[1], Infinity)
  const end = parts[1] !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(parts[1]) ? to + 86_399_999 : to
  if (from > end) throw new ValidationError('datetime', `datetime "${raw}": the start lies after the end`)
  return [from, end]
}
