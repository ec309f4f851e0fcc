import { SUPPORTED_CRS, CRS84 } from '../spatial/crs.js'
import type { FeatureIndex } from './feature-file.js'
import { DEFAULT_ITEMS_LIMIT, MAX_ITEMS_LIMIT, type FeatureCollectionInfo } from './feature-collections.js'
import { RECORD_CORE } from './catalog-records.js'

// The documents of the node's OGC API: landing page, conformance, collection
// descriptions, queryables and the OpenAPI definition GDAL reads its page
// size and queryable properties from.

export const GEOJSON = 'application/geo+json'
export const OPENAPI_JSON = 'application/vnd.oai.openapi+json;version=3.0'

export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
  RECORD_CORE,
  'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-collection',
  'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/json'
]

export interface Link {
  href: string
  rel: string
  type?: string
  title?: string
}

export function landingPage(base: string, kommune: string): Record<string, unknown> {
  return {
    title: `Datenraum Südwestfalen: ${kommune}`,
    description: `Offene Daten der Region Südwestfalen über den Knoten ${kommune}: jede CSV- und GeoJSON-Datei jeder Kommune als Feature-Collection (OGC API – Features), der regionale Katalog als OGC API – Records.`,
    links: [
      { href: `${base}/`, rel: 'self', type: 'application/json', title: 'this document' },
      { href: `${base}/`, rel: 'alternate', type: 'text/html', title: 'Web-Oberfläche' },
      { href: `${base}/api`, rel: 'service-desc', type: OPENAPI_JSON, title: 'the API definition (OpenAPI 3.0)' },
      { href: `${base}/api/docs`, rel: 'service-doc', type: 'text/html', title: 'API documentation' },
      { href: `${base}/conformance`, rel: 'conformance', type: 'application/json', title: 'conformance classes' },
      { href: `${base}/collections`, rel: 'data', type: 'application/json', title: 'feature collections and the catalog' }
    ]
  }
}

export function collectionDocument(
  base: string,
  c: FeatureCollectionInfo,
  index: FeatureIndex | undefined,
  downloadHref: string
): Record<string, unknown> {
  const bbox = index?.extent ?? c.bbox
  const t =
    index?.timeExtent ?? (c.dataset.temporal === undefined ? undefined : [c.dataset.temporal.start ?? null, c.dataset.temporal.end ?? null])
  const self = `${base}/collections/${c.id}`
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    itemType: 'feature',
    links: [
      { href: self, rel: 'self', type: 'application/json' },
      { href: `${self}/items`, rel: 'items', type: GEOJSON, title: 'features' },
      { href: `${self}/queryables`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/queryables', type: 'application/schema+json' },
      { href: downloadHref, rel: 'enclosure', type: c.distribution.mediaType, title: 'the whole file' },
      {
        href: `${base}/datensatz/${c.publisher}/${encodeURIComponent(c.dataset.id)}`,
        rel: 'describedby',
        type: 'text/html',
        title: c.dataset.title
      }
    ],
    ...(bbox === undefined && t === undefined
      ? {}
      : {
          extent: {
            ...(bbox === undefined ? {} : { spatial: { bbox: [bbox], crs: CRS84 } }),
            ...(t === undefined ? {} : { temporal: { interval: [t], trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian' } })
          }
        }),
    crs: [...SUPPORTED_CRS],
    storageCrs: index?.crs ?? CRS84,
    ...(index === undefined ? {} : { itemCount: index.count }),
    // Where the data comes from: the Kommune that signed it.
    origin: { publisher: c.publisher, kommune: c.kommune, datasetId: c.dataset.id, distributionId: c.distribution.id }
  }
}

export function queryablesDocument(base: string, c: FeatureCollectionInfo, index: FeatureIndex): Record<string, unknown> {
  const properties: Record<string, unknown> = { geometry: { format: 'geometry-any', 'x-ogc-role': 'primary-geometry' } }
  for (const p of index.properties) properties[p.name] = { title: p.name, type: p.type }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `${base}/collections/${c.id}/queryables`,
    type: 'object',
    title: c.title,
    properties,
    additionalProperties: false
  }
}

const param = (name: string, description: string, schema: Record<string, unknown>, style?: Record<string, unknown>) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
  ...style
})

/** Parameters every items path shares, under components/parameters. */
const PARAMETERS = {
  limit: param('limit', `Features per page (1–${MAX_ITEMS_LIMIT}); a larger value is refused with 400.`, {
    type: 'integer',
    minimum: 1,
    maximum: MAX_ITEMS_LIMIT,
    default: DEFAULT_ITEMS_LIMIT
  }),
  offset: param('offset', 'Features to skip (the next link sets it).', { type: 'integer', minimum: 0, default: 0 }),
  bbox: param(
    'bbox',
    'minx,miny,maxx,maxy in bbox-crs (default CRS84: lon/lat).',
    { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } },
    { style: 'form', explode: false }
  ),
  'bbox-crs': param('bbox-crs', 'CRS of bbox.', { type: 'string', format: 'uri', enum: [...SUPPORTED_CRS], default: CRS84 }),
  crs: param('crs', 'CRS of the answer.', { type: 'string', format: 'uri', enum: [...SUPPORTED_CRS], default: CRS84 }),
  datetime: param('datetime', 'An instant or interval (RFC 3339, "../" and "/.." open); features whose time meets it.', { type: 'string' }),
  featureId: {
    name: 'featureId',
    in: 'path',
    required: true,
    description: 'Position of the feature in its file, from 1.',
    schema: { type: 'integer', minimum: 1 }
  },
  collectionId: { name: 'collectionId', in: 'path', required: true, schema: { type: 'string' } },
  q: param('q', 'Words in title, description, keywords (records).', { type: 'string' })
}

const json = (description: string, type = 'application/json') => ({ description, content: { [type]: { schema: { type: 'object' } } } })
const ERRORS = { '400': json('Bad request (OGC exception)'), '404': json('Not found (OGC exception)') }
const ITEM_PARAMS = ['limit', 'offset', 'bbox', 'bbox-crs', 'crs', 'datetime'].map(p => ({ $ref: `#/components/parameters/${p}` }))

/**
 * The OpenAPI 3.0 definition of the OGC API. Each collection has its own
 * items path too, listing its properties as query parameters: that is where
 * GDAL looks for the queryable properties and the page size.
 */
export function openApiOgc(
  base: string,
  kommune: string,
  collections: Array<{ c: FeatureCollectionInfo; index?: FeatureIndex }>
): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/': { get: { summary: 'Landing page', operationId: 'getLandingPage', responses: { '200': json('Landing page') } } },
    '/conformance': { get: { summary: 'Conformance classes', operationId: 'getConformance', responses: { '200': json('Conformance') } } },
    '/collections': { get: { summary: 'Collections', operationId: 'getCollections', responses: { '200': json('Collections') } } },
    '/collections/{collectionId}': {
      get: {
        summary: 'A collection',
        operationId: 'describeCollection',
        parameters: [{ $ref: '#/components/parameters/collectionId' }],
        responses: { '200': json('Collection'), ...ERRORS }
      }
    },
    '/collections/{collectionId}/items': {
      get: {
        summary: 'Features of a collection',
        operationId: 'getFeatures',
        parameters: [{ $ref: '#/components/parameters/collectionId' }, ...ITEM_PARAMS],
        responses: { '200': json('Features', 'application/geo+json'), ...ERRORS }
      }
    },
    '/collections/{collectionId}/items/{featureId}': {
      get: {
        summary: 'One feature',
        operationId: 'getFeature',
        parameters: [
          { $ref: '#/components/parameters/collectionId' },
          { $ref: '#/components/parameters/featureId' },
          { $ref: '#/components/parameters/crs' }
        ],
        responses: { '200': json('Feature', 'application/geo+json'), ...ERRORS }
      }
    },
    '/collections/catalog/items': {
      get: {
        summary: 'Records of the regional catalog',
        operationId: 'getRecords',
        parameters: ['q', 'bbox', 'datetime', 'limit'].map(p => ({ $ref: `#/components/parameters/${p}` })),
        responses: { '200': json('Records', 'application/geo+json'), ...ERRORS }
      }
    },
    '/collections/region/items': {
      get: {
        summary: "Features of every Kommune's files in a bbox, asked live of every node (per-node status in `nodes`)",
        operationId: 'getRegionFeatures',
        parameters: ['bbox', 'limit'].map(p => ({ $ref: `#/components/parameters/${p}` })),
        responses: { '200': json('Features', 'application/geo+json'), ...ERRORS }
      }
    }
  }
  for (const { c, index } of collections) {
    paths[`/collections/${c.id}/items`] = {
      get: {
        summary: c.title,
        operationId: `getFeatures_${c.id.replace(/[^A-Za-z0-9_]/g, '_')}`,
        parameters: [
          ...ITEM_PARAMS,
          ...(index?.properties ?? []).map(p => param(p.name, `Features whose ${p.name} equals this value.`, { type: p.type }))
        ],
        responses: { '200': json('Features', 'application/geo+json'), ...ERRORS }
      }
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: `OGC API des Datenraums Südwestfalen (${kommune})`, version: '1.0.0', license: { name: 'EUPL-1.2' } },
    servers: [{ url: base }],
    paths,
    components: { parameters: PARAMETERS }
  }
}
