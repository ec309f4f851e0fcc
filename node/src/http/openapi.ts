import { z } from 'zod'
import { dataQuerySchema, datasetMetadataSchema, searchQuerySchema, useCaseSchema } from '@swf/protocol'
import { NDJSON } from './ndjson.js'
import { pageQuerySchema } from './request.js'
import { publicationQuerySchema, uploadQuerySchema } from './routes/datasets.js'
import { rdfCatalogQuerySchema } from './routes/dcat.js'
import { importQuerySchema } from './routes/import.js'
import { imageQuerySchema, useCaseListQuerySchema } from './routes/use-cases.js'
import { catalogQuerySchema } from './routes/region.js'
import { federationQuerySchema } from './routes/search.js'
import { VERSION } from '../version.js'
import {
  ckanErrorSchema,
  ckanSuccessSchema,
  dataQueryResultSchema,
  dspVersionSchema,
  healthSchema,
  importReportSchema,
  nodeInfoSchema,
  ownDatasetSchema,
  ownPageSchema,
  peersSchema,
  publishResultSchema,
  regionalDatasetSchema,
  regionalPageSchema,
  searchResultSchema,
  signedEntrySchema,
  statusSchema,
  uploadResultSchema,
  useCaseFitSchema,
  useCaseListSchema,
  useCaseViewSchema
} from './response-schemas.js'

// OpenAPI 3.1 for every HTTP endpoint, generated from the zod schemas that
// validate the requests (zod 4 writes JSON Schema 2020-12, OpenAPI 3.1's dialect).

type Schema = Record<string, unknown>
const json = (s: z.ZodType): Schema => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })
/** An answer's schema: what the node sends (zod's output side), without the dialect line (the document's is 3.1's). */
const answer = (s: z.ZodType): Schema => {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' }) as Schema
  return schema
}
const DSP = 'https://w3id.org/dspace/2025/1/catalog/'
/** The Dataspace Protocol's own schemas (2025-1), by their $id. */
const dspSchema = (name: string, description: string): Schema => ({ $ref: `${DSP}${name}`, description })
const OGC = 'https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/'
/** The OGC API – Features Part 1 schemas, by their published URL. */
const ogcSchema = (name: string): Schema => ({ $ref: `${OGC}${name}` })

interface Op {
  summary: string
  tag: string
  admin?: boolean
  query?: z.ZodObject
  body?: { schema?: z.ZodType | Schema; mediaTypes: string[] }
  responses?: Record<string, string>
  /** Media types of the 200 answer (default JSON); several where the client chooses by Accept. */
  produces?: string | string[]
  /** The JSON answer on success (zod schema, or a JSON Schema such as a DSP $ref). */
  ok?: z.ZodType | Schema
  /** Success is 201 Created (a new signed entry or stored file). */
  created?: boolean
  /** Error bodies in another API's own shape. */
  errors?: 'ckan' | 'dsp' | 'ogc'
}

const errorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string' },
        errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } }
      }
    }
  }
}

const WITH_STREAM = ['application/json', NDJSON]
const GEOJSON = 'application/geo+json'
const OGC_OPENAPI = 'application/vnd.oai.openapi+json;version=3.0'

const CKAN_SUMMARY =
  'CKAN 2.10 action API (GET with query, POST with JSON or form): package_search, package_show, package_list, organization_list, organization_show, group_list, group_show, tag_list, license_list, status_show'
const CKAN_ACTION: Record<string, Op> = {
  get: { summary: CKAN_SUMMARY, tag: 'CKAN', ok: ckanSuccessSchema, errors: 'ckan' },
  post: {
    summary: CKAN_SUMMARY,
    tag: 'CKAN',
    body: { mediaTypes: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'] },
    ok: ckanSuccessSchema,
    errors: 'ckan'
  }
}

const OPS: Record<string, Record<string, Op>> = {
  '/health': { get: { summary: 'Liveness', tag: 'Betrieb', ok: healthSchema } },
  '/metrics': { get: { summary: 'Prometheus metrics', tag: 'Betrieb', produces: 'text/plain' } },
  '/openapi.json': { get: { summary: 'This document', tag: 'Betrieb' } },
  '/api/docs': { get: { summary: 'Rendered API reference (served locally)', tag: 'Betrieb', produces: 'text/html' } },
  '/api/docs/{file}': { get: { summary: 'Assets of the API reference', tag: 'Betrieb', produces: 'application/octet-stream' } },
  '/api/v1/node': { get: { summary: 'Who this node is: peer id, public key, Kommune', tag: 'Knoten', ok: nodeInfoSchema } },
  '/api/v1/status': { get: { summary: 'Entries, registry list, sync lag per publisher, counters', tag: 'Knoten', ok: statusSchema } },
  '/api/v1/peers': { get: { summary: 'Peers with Kommune, last sync, entries received', tag: 'Region', ok: peersSchema } },
  '/api/v1/datasets': {
    get: { summary: 'Own datasets, paged', tag: 'Eigene Datensätze', query: pageQuerySchema, ok: ownPageSchema },
    post: {
      summary:
        'Create a dataset (signed entry); with a file: multipart/form-data, part "metadata" (this JSON) then part "file" — one entry, or nothing',
      tag: 'Eigene Datensätze',
      admin: true,
      query: publicationQuerySchema,
      body: { schema: datasetMetadataSchema, mediaTypes: ['application/json', 'multipart/form-data'] },
      created: true,
      ok: publishResultSchema,
      responses: { 409: 'Id exists' }
    }
  },
  '/api/v1/datasets/{id}': {
    get: { summary: 'One own dataset', tag: 'Eigene Datensätze', ok: ownDatasetSchema },
    put: {
      summary: 'Replace the metadata (distributions kept if left out); with a file as for POST, in the same entry',
      tag: 'Eigene Datensätze',
      admin: true,
      query: publicationQuerySchema,
      body: { schema: datasetMetadataSchema, mediaTypes: ['application/json', 'multipart/form-data'] },
      ok: publishResultSchema
    },
    delete: { summary: 'Delete: publishes a signed tombstone', tag: 'Eigene Datensätze', admin: true, ok: publishResultSchema }
  },
  '/api/v1/datasets/{id}/entry': {
    get: { summary: 'The raw signed entry (compact JWS)', tag: 'Eigene Datensätze', ok: signedEntrySchema }
  },
  '/api/v1/datasets/{id}/distributions/{distId}': {
    put: {
      summary: 'Upload a file (raw body, streamed, sha256 computed)',
      tag: 'Eigene Datensätze',
      admin: true,
      query: uploadQuerySchema,
      body: { mediaTypes: ['application/octet-stream', '*/*'] },
      created: true,
      ok: uploadResultSchema,
      responses: { 413: 'Too large' }
    },
    delete: { summary: 'Remove a distribution', tag: 'Eigene Datensätze', admin: true, ok: publishResultSchema }
  },
  '/api/v1/datasets/{id}/distributions/{distId}/{fileName}': {
    get: {
      summary: 'Download (ETag, Range); {fileName} is the file name with its extension (as every download link has it) or "file"',
      tag: 'Eigene Datensätze',
      produces: 'application/octet-stream'
    }
  },
  '/api/v1/files/{sha256}': { get: { summary: 'Any held file by content hash', tag: 'Daten', produces: 'application/octet-stream' } },
  '/api/v1/catalog': {
    get: { summary: 'The regional catalog held by this node', tag: 'Region', query: catalogQuerySchema, ok: regionalPageSchema }
  },
  '/api/v1/catalog/{publisher}/{id}': { get: { summary: 'One dataset of the regional catalog', tag: 'Region', ok: regionalDatasetSchema } },
  '/api/v1/catalog/{publisher}/{id}/distributions/{distId}/{fileName}': {
    get: {
      summary: 'Download any file of the region through this node (sha256-verified); {fileName}: its name with extension, or "file"',
      tag: 'Daten',
      produces: 'application/octet-stream',
      responses: { 502: 'A peer served wrong bytes', 503: 'No node holding it is reachable' }
    }
  },
  '/api/v1/use-cases': {
    get: {
      summary: 'Use cases of the region (q, status, theme, publisher, takeOvers, dataset=publisher/id, limit, offset)',
      tag: 'Anwendungen',
      query: useCaseListQuerySchema,
      ok: useCaseListSchema
    },
    post: {
      summary: 'Publish a use case (or, with takesOver, a take-over naming own datasets for the original roles)',
      tag: 'Anwendungen',
      admin: true,
      body: { schema: useCaseSchema, mediaTypes: ['application/json'] },
      created: true,
      ok: publishResultSchema
    }
  },
  '/api/v1/use-cases/{id}': {
    put: {
      summary: 'Replace an own use case (images are kept if left out)',
      tag: 'Anwendungen',
      admin: true,
      body: { schema: useCaseSchema, mediaTypes: ['application/json'] },
      ok: publishResultSchema
    },
    delete: { summary: 'Delete an own use case: a signed tombstone', tag: 'Anwendungen', admin: true, ok: publishResultSchema }
  },
  '/api/v1/use-cases/{id}/images': {
    put: {
      summary: 'Add an image (PNG, JPEG, WebP; raw body, at most 2 MB: 413 beyond)',
      tag: 'Anwendungen',
      admin: true,
      query: imageQuerySchema,
      body: { mediaTypes: ['image/png', 'image/jpeg', 'image/webp'] },
      created: true,
      ok: publishResultSchema,
      responses: { 413: 'Too large' }
    }
  },
  '/api/v1/use-cases/{publisher}/{id}': {
    get: {
      summary: 'A use case: datasets (dangling ones flagged), the use case it takes over, the Kommunen that run it',
      tag: 'Anwendungen',
      ok: useCaseViewSchema
    }
  },
  '/api/v1/use-cases/{publisher}/{id}/fit': {
    get: {
      summary: 'For a Kommune (kommune=peer id or AGS): its own datasets that would fill each role, and the roles it has nothing for',
      tag: 'Anwendungen',
      query: z.object({ kommune: z.string() }),
      ok: useCaseFitSchema
    }
  },
  '/api/v1/use-cases/{publisher}/{id}/images/{n}': {
    get: {
      summary: 'Image n of a use case (verified against the signed sha256)',
      tag: 'Anwendungen',
      produces: ['image/png', 'image/jpeg', 'image/webp']
    }
  },
  '/api/v1/search': {
    get: {
      summary: 'Catalog search; scope=federated asks every node (Accept: application/x-ndjson streams a line per node)',
      tag: 'Suche',
      produces: WITH_STREAM,
      query: searchQuerySchema.extend(federationQuerySchema.shape),
      ok: searchResultSchema
    }
  },
  '/api/v1/query': {
    get: {
      summary:
        'Federated data query over CSV and GeoJSON (where=field=value | field~value, repeatable; Accept: application/x-ndjson streams a line per node; f=geojson or Accept: application/geo+json answers one FeatureCollection)',
      tag: 'Daten',
      produces: [...WITH_STREAM, GEOJSON],
      ok: dataQueryResultSchema,
      query: z.object({
        bbox: z.string().optional(),
        where: z.array(z.string()).optional(),
        datasetId: z.string().optional(),
        theme: z.string().optional(),
        keyword: z.string().optional(),
        limit: z.number().optional(),
        timeoutMs: z.number().optional(),
        f: z.enum(['json', 'geojson']).optional()
      })
    }
  },
  '/api/v1/import': {
    post: {
      summary: 'Import a DCAT-AP.de catalog: JSON {url} or RDF in the body (Accept: application/x-ndjson streams progress per page)',
      tag: 'Eigene Datensätze',
      admin: true,
      produces: WITH_STREAM,
      query: importQuerySchema,
      ok: importReportSchema,
      body: { mediaTypes: ['application/json', 'text/turtle', 'application/rdf+xml', 'application/ld+json'] }
    }
  },
  '/catalog.ttl': {
    get: {
      summary: 'DCAT-AP.de catalog, Turtle (scope=region for everything held)',
      tag: 'DCAT-AP.de',
      query: rdfCatalogQuerySchema,
      produces: 'text/turtle'
    }
  },
  '/catalog.rdf': {
    get: { summary: 'DCAT-AP.de catalog, RDF/XML', tag: 'DCAT-AP.de', query: rdfCatalogQuerySchema, produces: 'application/rdf+xml' }
  },
  '/catalog.jsonld': {
    get: { summary: 'DCAT-AP.de catalog, JSON-LD', tag: 'DCAT-AP.de', query: rdfCatalogQuerySchema, produces: 'application/ld+json' }
  },
  '/dataset/{file}': {
    get: { summary: 'One own dataset as DCAT-AP.de ({id}.ttl, .rdf, .jsonld)', tag: 'DCAT-AP.de', produces: 'text/turtle' }
  },
  '/api/3/action/{action}': CKAN_ACTION,
  '/api/action/{action}': CKAN_ACTION,
  '/.well-known/dspace-version': { get: { summary: 'Dataspace Protocol versions', tag: 'Dataspace Protocol', ok: dspVersionSchema } },
  '/dsp/catalog/request': {
    post: {
      summary: 'DSP 2025-1 catalog request (CatalogRequestMessage)',
      tag: 'Dataspace Protocol',
      body: { schema: dspSchema('catalog-request-message-schema.json', 'CatalogRequestMessage'), mediaTypes: ['application/json'] },
      ok: dspSchema('catalog-schema.json', 'Catalog'),
      errors: 'dsp'
    }
  },
  '/dsp/catalog/datasets/{id}': {
    get: {
      summary: 'One dataset as DSP Dataset',
      tag: 'Dataspace Protocol',
      ok: dspSchema('dataset-schema.json', 'Dataset'),
      errors: 'dsp'
    }
  },
  '/assets/app.css': { get: { summary: 'Web UI stylesheet', tag: 'Web', produces: 'text/css' } },
  '/': {
    get: {
      summary: 'Web UI: regional catalog; with Accept: application/json (or f=json) the OGC API landing page',
      tag: 'Web',
      produces: ['text/html', 'application/json'],
      ok: ogcSchema('landingPage.yaml'),
      errors: 'ogc'
    }
  },
  '/conformance': { get: { summary: 'OGC API conformance classes', tag: 'OGC API', ok: ogcSchema('confClasses.yaml'), errors: 'ogc' } },
  '/api': {
    get: {
      summary: 'The OGC API definition (OpenAPI 3.0, per-collection items paths)',
      tag: 'OGC API',
      produces: OGC_OPENAPI,
      errors: 'ogc'
    }
  },
  '/collections': {
    get: {
      summary: 'OGC API collections: every CSV and GeoJSON file of the region, the catalog, the region',
      tag: 'OGC API',
      ok: ogcSchema('collections.yaml'),
      errors: 'ogc'
    }
  },
  '/collections/catalog': {
    get: { summary: 'OGC API Records: the regional catalog', tag: 'OGC API', ok: ogcSchema('collection.yaml'), errors: 'ogc' }
  },
  '/collections/catalog/items': {
    get: {
      summary: 'OGC API Records: datasets as records (q, bbox, datetime, limit, cursor)',
      tag: 'OGC API',
      produces: GEOJSON,
      errors: 'ogc'
    }
  },
  '/collections/catalog/items/{recordId}': {
    get: { summary: 'OGC API Records: one record', tag: 'OGC API', produces: GEOJSON, errors: 'ogc' }
  },
  '/collections/region': {
    get: { summary: "The regional view: every Kommune's features", tag: 'OGC API', ok: ogcSchema('collection.yaml'), errors: 'ogc' }
  },
  '/collections/region/items': {
    get: {
      summary: "Every Kommune's features in a bbox, asked live of every node (default bbox: Südwestfalen); per-node status in `nodes`",
      tag: 'OGC API',
      produces: GEOJSON,
      errors: 'ogc'
    }
  },
  '/collections/{collectionId}': {
    get: {
      summary: 'OGC API Features: one collection (a CSV or GeoJSON file)',
      tag: 'OGC API',
      ok: ogcSchema('collection.yaml'),
      errors: 'ogc'
    }
  },
  '/collections/{collectionId}/queryables': {
    get: { summary: 'Properties of a collection (JSON Schema)', tag: 'OGC API', produces: 'application/schema+json', errors: 'ogc' }
  },
  '/collections/{collectionId}/items': {
    get: {
      summary: 'Features (limit ≤ 10000, offset, bbox, bbox-crs, crs, datetime, property=value); OGC exception JSON on bad input',
      tag: 'OGC API',
      produces: GEOJSON,
      errors: 'ogc'
    }
  },
  '/collections/{collectionId}/items/{featureId}': {
    get: { summary: 'One feature (id: its position from 1)', tag: 'OGC API', produces: GEOJSON, errors: 'ogc' }
  },
  '/datensatz/{publisher}/{id}': { get: { summary: 'Web UI: dataset page', tag: 'Web', produces: 'text/html' } },
  '/anwendungen': { get: { summary: 'Web UI: use cases of the region (search, facets)', tag: 'Web', produces: 'text/html' } },
  '/anwendung/{publisher}/{id}': {
    get: { summary: 'Web UI: a use case, who runs it, and what this Kommune would need to take it over', tag: 'Web', produces: 'text/html' }
  },
  '/verwaltung/anwendung/neu': {
    get: { summary: 'Web UI: publish a use case (form)', tag: 'Web', produces: 'text/html' },
    post: { summary: 'Web UI: publish a use case', tag: 'Web', produces: 'text/html' }
  },
  '/verwaltung/anwendung/uebernehmen': {
    get: { summary: "Web UI: take-over form (this Kommune's datasets per role)", tag: 'Web', produces: 'text/html' },
    post: { summary: "Web UI: take over a use case with this Kommune's datasets", tag: 'Web', produces: 'text/html' }
  },
  '/karte': { get: { summary: 'Web UI: map of dataset extents', tag: 'Web', produces: 'text/html' } },
  '/region': { get: { summary: 'Web UI: participants and sync state', tag: 'Web', produces: 'text/html' } },
  '/verwaltung': { get: { summary: 'Web UI: admin area (login)', tag: 'Web', produces: 'text/html' } },
  '/verwaltung/anmelden': { post: { summary: 'Web UI: log in with the admin token', tag: 'Web', produces: 'text/html' } },
  '/verwaltung/abmelden': { post: { summary: 'Web UI: log out', tag: 'Web', produces: 'text/html' } },
  '/verwaltung/neu': {
    get: { summary: 'Web UI: publish form', tag: 'Web', produces: 'text/html' },
    post: { summary: 'Web UI: publish', tag: 'Web', produces: 'text/html' }
  },
  '/verwaltung/bearbeiten/{id}': {
    get: { summary: 'Web UI: edit form', tag: 'Web', produces: 'text/html' },
    post: { summary: 'Web UI: save', tag: 'Web', produces: 'text/html' }
  }
}

const bodySchema = (s: z.ZodType | Schema): Schema => (s instanceof z.ZodType ? json(s) : s)
const ERROR_REFS = {
  api: '#/components/schemas/Error',
  ckan: '#/components/schemas/CkanError',
  dsp: `${DSP}catalog-error-schema.json`,
  ogc: `${OGC}exception.yaml`
}

function responsesOf(op: Op): Schema {
  const ok = op.ok === undefined ? {} : { schema: op.ok instanceof z.ZodType ? answer(op.ok) : op.ok }
  const error = { content: { 'application/json': { schema: { $ref: ERROR_REFS[op.errors ?? 'api'] } } } }
  return {
    [op.created === true ? 201 : 200]: {
      description: op.created === true ? 'Created' : 'OK',
      content: Object.fromEntries([op.produces ?? 'application/json'].flat().map(mt => [mt, mt === 'application/json' ? ok : {}]))
    },
    ...Object.fromEntries(Object.entries(op.responses ?? {}).map(([code, d]) => [code, { description: d, ...error }])),
    '4XX': { description: 'Client error', ...error }
  }
}

export function openApiDocument(): Schema {
  const paths: Record<string, Schema> = {}
  for (const [path, methods] of Object.entries(OPS)) {
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(m => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }))
    paths[path] = Object.fromEntries(
      Object.entries(methods).map(([method, op]) => {
        const queryParams =
          op.query === undefined
            ? []
            : Object.entries(op.query.shape).map(([name, s]) => ({
                name,
                in: 'query',
                required: false,
                schema: json(s as z.ZodType),
                ...(s instanceof z.ZodArray || (json(s as z.ZodType) as { type?: string }).type === 'array'
                  ? { style: 'form', explode: true }
                  : {})
              }))
        return [
          method,
          {
            summary: op.summary,
            tags: [op.tag],
            ...(op.admin === true ? { security: [{ adminToken: [] }] } : {}),
            parameters: [...pathParams, ...queryParams],
            ...(op.body === undefined
              ? {}
              : {
                  requestBody: {
                    required: true,
                    content: Object.fromEntries(
                      op.body.mediaTypes.map(mt => [
                        mt,
                        op.body!.schema !== undefined && mt === 'application/json' ? { schema: bodySchema(op.body!.schema) } : {}
                      ])
                    )
                  }
                }),
            responses: responsesOf(op)
          }
        ]
      })
    )
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Südwestfalen data space node',
      version: VERSION,
      description:
        "HTTP API of a Kommune's node: own datasets, the regional catalog, search, federated data queries, DCAT-AP.de, CKAN and Dataspace Protocol endpoints."
    },
    paths,
    components: {
      schemas: {
        Error: errorSchema,
        CkanError: answer(ckanErrorSchema),
        DatasetMetadata: json(datasetMetadataSchema),
        SearchQuery: json(searchQuerySchema),
        DataQuery: json(dataQuerySchema)
      },
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: "The node's admin token (admin-token in the data directory)" }
      }
    }
  }
}
