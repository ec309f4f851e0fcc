import { Hono, type Context } from 'hono'
import { licenseUri } from '@swf/protocol'
import { downloadPath } from '../../file-names.js'
import type { RegionalCatalog, RegionalDatasetView } from '../../services/regional-catalog.js'
import { packageName } from '../../ckan/packages.js'
import { NotFoundError } from '../../errors.js'

// Dataspace Protocol 2025-1, catalog part: enough for EDC-family connectors to
// browse the region. Every dataset carries an open-access ODRL offer.

export const DSP_VERSION = '2025-1'
export const DSP_CONTEXT = 'https://w3id.org/dspace/2025/1/context.jsonld'
// The 2025-1 schemas allow only context IRIs here; that context defines the dct: and dcat: prefixes.
const CONTEXT = [DSP_CONTEXT]
const PAGE_SIZE = 100

export interface DspRouteDeps {
  regional: RegionalCatalog
  participantId: string
  agsOf: (peerId: string) => string | null
  publisherOfAgs: (ags: string) => string | undefined
  publicUrl?: string
}

function catalogError(c: Context, status: 400 | 404, code: string, reason: string): Response {
  return c.json({ '@context': CONTEXT, '@type': 'CatalogError', code, reason: [reason] }, status)
}

export function dspRoutes({ regional, participantId, agsOf, publisherOfAgs, publicUrl }: DspRouteDeps): Hono {
  const base = (c: Context): string => publicUrl ?? new URL(c.req.url).origin
  const dataService = (c: Context) => ({ '@id': `${base(c)}/dsp`, '@type': 'DataService', endpointURL: `${base(c)}/dsp` })
  const datasetOf = (c: Context, v: RegionalDatasetView) => {
    const name = packageName(agsOf(v.entry.publisher), v.dataset.id)
    const fileUrl = (dist: string): string => `${base(c)}${downloadPath(participantId, v.entry.publisher, v.dataset, dist)}`
    // Datasets without a file are reached through their page (as dcat:accessURL in the DCAT export).
    const endpoints = v.dataset.distributions
      .map(d => ({
        id: d.id,
        title: d.title,
        mediaType: d.mediaType,
        url: d.sha256 !== undefined ? fileUrl(d.id) : (d.downloadURL ?? d.accessURL)
      }))
      .filter((d): d is typeof d & { url: string } => d.url !== undefined)
    const distributions =
      endpoints.length > 0
        ? endpoints
        : [
            {
              id: 'page',
              title: v.dataset.title,
              mediaType: 'text/html',
              url: v.dataset.landingPage ?? `${base(c)}/datensatz/${v.entry.publisher}/${v.dataset.id}`
            }
          ]
    return {
      '@id': name,
      '@type': 'Dataset',
      'dct:title': v.dataset.title,
      'dct:description': v.dataset.description,
      'dct:publisher': v.publisher.kommune ?? v.entry.publisher,
      'dct:license': licenseUri(v.dataset.license),
      ...(v.dataset.keywords.length > 0 ? { 'dcat:keyword': v.dataset.keywords } : {}),
      // An Offer inside a dataset names no target (the dataset is the target); empty
      // rule lists are left out (the schemas want at least one item where a list is given).
      hasPolicy: [
        {
          '@id': `urn:swf:offer:${name}`,
          '@type': 'Offer',
          assigner: v.entry.publisher,
          permission: [{ action: 'use' }]
        }
      ],
      distribution: distributions.map(d => ({
        '@type': 'Distribution',
        format: 'HttpData-PULL',
        // One DataService per endpoint, each with its own @id: two endpoints under one @id would merge in RDF.
        accessService: { '@id': `urn:swf:service:${name}:${d.id}`, '@type': 'DataService', endpointURL: d.url },
        'dct:title': d.title,
        'dcat:mediaType': d.mediaType
      }))
    }
  }

  const app = new Hono()
  app.get('/.well-known/dspace-version', c =>
    c.json({
      protocolVersions: [{ version: DSP_VERSION, path: '/dsp', binding: 'HTTPS' }]
    })
  )

  app.post('/dsp/catalog/request', async c => {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return catalogError(c, 400, '400', 'body must be a JSON-LD CatalogRequestMessage')
    }
    const problem = catalogRequestProblem(body)
    if (problem !== undefined) return catalogError(c, 400, '400', problem)
    const page = Number(c.req.query('page') ?? '1')
    if (!Number.isInteger(page) || page < 1) return catalogError(c, 400, '400', 'page must be a positive integer')
    const { items, total } = regional.exportPage({ offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE })
    if (page * PAGE_SIZE < total) c.header('Link', `<${base(c)}/dsp/catalog/request?page=${page + 1}>; rel="next"`)
    return c.json({
      '@context': CONTEXT,
      '@id': `${base(c)}/dsp/catalog`,
      '@type': 'Catalog',
      participantId,
      'dct:title': 'Datenraum Südwestfalen',
      service: [dataService(c)],
      ...(items.length > 0 ? { dataset: items.map(v => datasetOf(c, v)) } : {})
    })
  })

  app.get('/dsp/catalog/datasets/:id', c => {
    const m = /^(\d{8})-([a-z0-9][a-z0-9_-]{0,99})$/.exec(c.req.param('id'))
    if (m === null) return catalogError(c, 400, '400', 'dataset id is <AGS>-<dataset id>, as listed in the catalog')
    const publisher = publisherOfAgs(m[1]!)
    let v: RegionalDatasetView
    try {
      if (publisher === undefined) throw new NotFoundError('no such Kommune')
      v = regional.get(publisher, m[2]!)
    } catch (err) {
      if (err instanceof NotFoundError) return catalogError(c, 404, '404', `no dataset ${c.req.param('id')}`)
      throw err
    }
    return c.json({ '@context': CONTEXT, ...datasetOf(c, v) })
  })
  return app
}

/** What is wrong with a CatalogRequestMessage (2025-1 schema: @context with the DSP context, @type, optional filter list). */
function catalogRequestProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object (CatalogRequestMessage)'
  const m = body as Record<string, unknown>
  const context = m['@context']
  if (!Array.isArray(context) || !context.every(x => typeof x === 'string') || !context.includes(DSP_CONTEXT)) {
    return `@context must be a list of context IRIs that includes ${DSP_CONTEXT}`
  }
  if (m['@type'] !== 'CatalogRequestMessage') return '@type must be CatalogRequestMessage'
  if (m.filter !== undefined && !Array.isArray(m.filter)) return 'filter must be a list'
  return undefined
}
