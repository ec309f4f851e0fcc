import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { isoDateSchema } from '@swf/protocol'
import type { ExportContext } from '../../services/catalog-export.js'
import { MEDIA_TYPES, type RdfFormat } from '../../dcat/formats.js'
import type { RegionalCatalog } from '../../services/regional-catalog.js'
import type { UseCaseRecord } from '../../services/use-case-store.js'
import { readQuery } from '../request.js'

const FORMATS: RdfFormat[] = ['ttl', 'rdf', 'jsonld']

// The RDF libraries (jsonld, n3, graphy) cost tens of MB of memory:
// loaded on the first DCAT request, not by every idle node.
const rdf = async () => {
  const [exporter, serializer] = await Promise.all([import('../../services/catalog-export.js'), import('../../dcat/serialize.js')])
  return { ...exporter, ...serializer }
}

export const rdfCatalogQuerySchema = z.object({
  scope: z.enum(['own', 'region']).default('own'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  modified_since: isoDateSchema.optional()
})

export interface DcatRouteDeps {
  regional: RegionalCatalog
  context: (c: Context) => ExportContext
  /** The use cases held (of one publisher): dcat:DataService on a catalog's first page. */
  useCases: (publisher?: string) => UseCaseRecord[]
}

/** DCAT-AP.de 2.0 catalog in Turtle, RDF/XML and JSON-LD, paged like ckanext-dcat. */
export function dcatRoutes({ regional, context, useCases }: DcatRouteDeps): Hono {
  const app = new Hono()
  for (const format of FORMATS) {
    app.get(`/catalog.${format}`, async c => {
      const q = readQuery(c, rdfCatalogQuerySchema)
      const ctx = context(c)
      const pageUrl = (page: number): string => {
        const params = new URLSearchParams({
          ...(q.scope === 'region' ? { scope: 'region' } : {}),
          ...(q.modified_since === undefined ? {} : { modified_since: q.modified_since }),
          page: String(page)
        })
        return `${ctx.baseUrl}/catalog.${format}?${params.toString()}`
      }
      const { catalogPageQuads, serialize } = await rdf()
      const quads = catalogPageQuads(regional, ctx, {
        scope: q.scope,
        page: q.page,
        modifiedSince: q.modified_since,
        pageUrl,
        useCases: useCases(q.scope === 'own' ? ctx.self.peerId : undefined),
        kommuneOf: regional.kommuneOf
      })
      return c.body(await serialize(quads, format), 200, { 'Content-Type': MEDIA_TYPES[format] })
    })
  }
  app.get('/dataset/:file', async c => {
    const m = /^([a-z0-9][a-z0-9_-]{0,99})\.(ttl|rdf|jsonld)$/.exec(c.req.param('file'))
    if (m === null) return c.json({ error: { code: 'not_found', message: 'use /dataset/{id}.ttl, .rdf or .jsonld' } }, 404)
    const ctx = context(c)
    const view = regional.get(ctx.self.peerId, m[1]!)
    const format = m[2] as RdfFormat
    const { datasetViewQuads, serialize } = await rdf()
    return c.body(await serialize(datasetViewQuads(view, ctx), format), 200, { 'Content-Type': MEDIA_TYPES[format] })
  })
  return app
}
