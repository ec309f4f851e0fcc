import { Hono } from 'hono'
import { dataQuerySchema, peerIdSchema } from '../../../../protocol/src/index.js'
import type { BlobStore } from '../../blob-store.js'
import { ValidationError } from '../../errors.js'
import { fileNameOf } from '../../file-names.js'
import type { DataAccess } from '../../p2p/data-access.js'
import type { FederatedDataQuery } from '../../p2p/federated-data-query.js'
import type { DataQueryService } from '../../services/data-query.js'
import type { RegionalCatalog } from '../../services/regional-catalog.js'
import { fileResponse } from '../file-response.js'
import { readQuery } from '../request.js'
import { parseBbox } from '../search-params.js'
import { federationQuerySchema } from './search.js'

export interface DataRouteDeps {
  blobs: BlobStore
  regional: RegionalCatalog
  dataQuery: DataQueryService
  federatedData?: FederatedDataQuery
  access?: DataAccess
  peerId: string
}

/**
 * `where=field=value` (equals) or `where=field~value` (contains), repeatable.
 */
function parseWhere (values: string[]): Array<{ field: string, op: 'eq' | 'contains', value: string }> {
  return values.map((w, i) => {
    const m = /^([^=~]+)([=~])(.*)$/s.exec(w)
    if (m === null) throw new ValidationError(`where.${i}`, 'where is field=value (equals) or field~value (contains)')
    return { field: m[1]!.trim(), op: m[2] === '=' ? 'eq' : 'contains', value: m[3]! }
  })
}

/** Data itself: federated data queries and downloads of any file of the region through this node. */
export function dataRoutes ({ blobs, regional, dataQuery, federatedData, access, peerId }: DataRouteDeps): Hono {
  const app = new Hono()

  app.get('/query', async c => {
    const { timeoutMs } = readQuery(c, federationQuerySchema.passthrough())
    const raw: Record<string, unknown> = { where: parseWhere(c.req.queries('where') ?? []) }
    const bbox = parseBbox(c.req.query('bbox'))
    if (bbox !== undefined) raw.bbox = bbox
    for (const k of ['datasetId', 'theme', 'keyword'] as const) {
      const v = c.req.query(k)
      if (v !== undefined && v !== '') raw[k] = v
    }
    const limit = c.req.query('limit')
    if (limit !== undefined) raw.limit = /^\d+$/.test(limit) ? Number(limit) : limit
    const parsed = dataQuerySchema.safeParse(raw)
    if (!parsed.success) throw ValidationError.fromZod(parsed.error)
    if (federatedData !== undefined) return c.json(await federatedData.query(parsed.data, timeoutMs))
    const local = await dataQuery.run(parsed.data)
    return c.json({
      matches: local.matches.map(({ datasetId, distributionId, ...m }) => ({ ...m, origin: { publisher: peerId, kommune: regional.kommuneOf(peerId), datasetId, distributionId } })),
      truncated: local.truncated,
      nodes: [{ peerId, kommune: regional.kommuneOf(peerId), status: 'local', latencyMs: 0, hits: local.matches.length }]
    })
  })

  app.get('/catalog/:publisher/:id/distributions/:distId/file', async c => {
    const publisher = peerIdSchema.safeParse(c.req.param('publisher'))
    if (!publisher.success) throw new ValidationError('publisher', 'publisher must be a peer id')
    const { publisher: p, id, distId } = { publisher: publisher.data, id: c.req.param('id'), distId: c.req.param('distId') }
    if (access !== undefined) return fileResponse(c, blobs, await access.resolve(p, id, distId), true)
    // Alone (no region): only what this node holds.
    const view = regional.get(p, id)
    const dist = view.dataset.distributions.find(d => d.id === distId)
    if (dist?.sha256 === undefined) throw new ValidationError('distId', `no file "${distId}" in dataset "${id}"`)
    return fileResponse(c, blobs, { sha256: dist.sha256, byteSize: dist.byteSize ?? 0, mediaType: dist.mediaType, fileName: fileNameOf(dist) }, true)
  })

  return app
}
