import { Hono, type Context } from 'hono'
import type { RegionalCatalog, RegionalDatasetView } from '../../services/regional-catalog.js'
import { packageName } from '../../ckan/packages.js'
import { NotFoundError } from '../../errors.js'

// Dataspace Protocol 2025-1, catalog part: enough for EDC-family connectors to
// browse the region. Every dataset carries an open-access ODRL offer.

export const DSP_VERSION = '2025-1'
const CONTEXT = ['https://w3id.org/dspace/2025/1/context.jsonld', { dct: 'http://purl.org/dc/terms/', dcat: 'http://www.w3.org/ns/dcat#' }]
const PAGE_SIZE = 100

export interface DspRouteDeps {
  regional: RegionalCatalog
  participantId: string
  agsOf: (peerId: string) => string | null
  publisherOfAgs: (ags: string) => string | undefined
  publicUrl?: string
}

function catalogError (c: Context, status: 400 | 404, code: string, reason: string): Response {
  return c.json({ '@context': CONTEXT, '@type': 'CatalogError', code, reason: [reason] }, status)
}

export function dspRoutes ({ regional, participantId, agsOf, publisherOfAgs, publicUrl }: DspRouteDeps): Hono {
  const base = (c: Context): string => publicUrl ?? new URL(c.req.url).origin
  const dataService = (c: Context) => ({ '@id': `${base(c)}/dsp`, '@type': 'DataService', endpointURL: `${base(c)}/dsp` })
  const datasetOf = (c: Context, v: RegionalDatasetView) => {
    const name = packageName(agsOf(v.entry.publisher), v.dataset.id)
    const own = v.entry.publisher === participantId
    const fileUrl = (dist: string): string => own
      ? `${base(c)}/api/v1/datasets/${v.dataset.id}/distributions/${dist}/file`
      : `${base(c)}/api/v1/catalog/${v.entry.publisher}/${v.dataset.id}/distributions/${dist}/file`
    return {
      '@id': name,
      '@type': 'Dataset',
      'dct:title': v.dataset.title,
      'dct:description': v.dataset.description,
      'dct:publisher': v.publisher.kommune ?? v.entry.publisher,
      'dct:license': `http://dcat-ap.de/def/licenses/${v.dataset.license}`,
      'dcat:keyword': v.dataset.keywords,
      hasPolicy: [{
        '@id': `urn:swf:offer:${name}`,
        '@type': 'Offer',
        assigner: v.entry.publisher,
        target: name,
        permission: [{ action: 'use' }],
        prohibition: [],
        obligation: []
      }],
      distribution: v.dataset.distributions.filter(d => d.sha256 !== undefined || d.accessURL !== undefined || d.downloadURL !== undefined).map(d => ({
        '@type': 'Distribution',
        format: 'HttpData-PULL',
        accessService: { ...dataService(c), endpointURL: d.sha256 !== undefined ? fileUrl(d.id) : (d.downloadURL ?? d.accessURL) },
        'dct:title': d.title,
        'dcat:mediaType': d.mediaType
      }))
    }
  }

  const app = new Hono()
  app.get('/.well-known/dspace-version', c => c.json({
    protocolVersions: [{ version: DSP_VERSION, path: '/dsp', binding: 'HTTPS' }]
  }))

  app.post('/dsp/catalog/request', async c => {
    let body: any
    try {
      body = await c.req.json()
    } catch {
      return catalogError(c, 400, '400', 'body must be a JSON-LD CatalogRequestMessage')
    }
    if (body?.['@type'] !== 'CatalogRequestMessage' && body?.['@type'] !== 'dspace:CatalogRequestMessage') {
      return catalogError(c, 400, '400', '@type must be CatalogRequestMessage')
    }
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
      dataset: items.map(v => datasetOf(c, v))
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
