import { Hono } from 'hono'
import type { Logger } from 'pino'
import { dataQuerySchema, peerIdSchema } from '@swf/protocol'
import type { BlobStore } from '../../blob-store.js'
import { ValidationError } from '../../errors.js'
import { fileNameOf, servedMediaType } from '../../file-names.js'
import { matchesAsFeatures } from '../../features/matches-as-features.js'
import type { DataAccess } from '../../region/data-access.js'
import { withOrigin, type FederatedDataQuery } from '../../region/federated-data-query.js'
import type { NodeStatus } from '../../region/federation.js'
import type { DataQueryService } from '../../services/data-query-service.js'
import type { RegionalCatalog } from '../../services/regional-catalog.js'
import { clientAddress } from '../client-address.js'
import { checkFileName, fileResponse } from '../file-response.js'
import { ndjsonResponse, wantsNdjson } from '../ndjson.js'
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
  /** The collection-id prefix of a publisher (its Kommune's slug). */
  nameOf: (peerId: string) => string
  log: Logger
}

/**
 * `where=field=value` (equals) or `where=field~value` (contains), repeatable.
 */
function parseWhere(values: string[]): Array<{ field: string; op: 'eq' | 'contains'; value: string }> {
  return values.map((w, i) => {
    const m = /^([^=~]+)([=~])(.*)$/s.exec(w)
    if (m === null) throw new ValidationError(`where.${i}`, 'where is field=value (equals) or field~value (contains)')
    return { field: m[1]!.trim(), op: m[2] === '=' ? 'eq' : 'contains', value: m[3]! }
  })
}

export type RunDataQuery = FederatedDataQuery['query']

/** Runs a data query over the region, or (without a region) over this node's files only, with the same answer shape. */
export function dataQueryRunner({
  dataQuery,
  regional,
  federatedData,
  peerId
}: Pick<DataRouteDeps, 'dataQuery' | 'regional' | 'federatedData' | 'peerId'>): RunDataQuery {
  if (federatedData !== undefined) return federatedData.query.bind(federatedData)
  return async (query, _deadlineMs, onNode) => {
    const local = await dataQuery.run(query)
    const node: NodeStatus = { peerId, kommune: regional.kommuneOf(peerId), status: 'local', latencyMs: 0, hits: local.matches.length }
    const matches = withOrigin(node, local.matches)
    onNode?.(node, matches)
    return { matches, truncated: local.truncated, nodes: [node] }
  }
}

/**
 * Data itself: federated data queries (with `Accept: application/x-ndjson`
 * one line per node as it answers) and downloads of any file of the region
 * through this node.
 */
export function dataRoutes({ blobs, regional, dataQuery, federatedData, access, peerId, nameOf, log }: DataRouteDeps): Hono {
  const app = new Hono()

  const run = dataQueryRunner({ dataQuery, regional, federatedData, peerId })

  app.get('/query', async c => {
    const { timeoutMs } = readQuery(c, federationQuerySchema.loose())
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
    // Whose query goes first at a busy peer: the client that asked least lately.
    const asker = clientAddress(c)
    const f = c.req.query('f')
    if (f !== undefined && f !== 'json' && f !== 'geojson') throw new ValidationError('f', 'f is json (default) or geojson')
    if (f === 'geojson' || (f === undefined && (c.req.header('accept') ?? '').includes('application/geo+json'))) {
      // The same answer as one GeoJSON FeatureCollection: rows become points, each feature names its origin.
      const result = await run(parsed.data, timeoutMs, undefined, asker)
      const features = matchesAsFeatures(result.matches, nameOf)
      return c.body(JSON.stringify({ type: 'FeatureCollection', features, truncated: result.truncated, nodes: result.nodes }), 200, {
        'Content-Type': 'application/geo+json'
      })
    }
    if (!wantsNdjson(c)) return c.json(await run(parsed.data, timeoutMs, undefined, asker))
    return ndjsonResponse(c, log, async line => {
      const result = await run(
        parsed.data,
        timeoutMs,
        (node, matches) => {
          line({ type: 'node', node, matches })
        },
        asker
      )
      line({ type: 'result', ...result })
    })
  })

  app.get('/catalog/:publisher/:id/distributions/:distId/:fileName', async c => {
    const publisher = peerIdSchema.safeParse(c.req.param('publisher'))
    if (!publisher.success) throw new ValidationError('publisher', 'publisher must be a peer id')
    const { publisher: p, id, distId } = { publisher: publisher.data, id: c.req.param('id'), distId: c.req.param('distId') }
    const view = regional.get(p, id)
    const dist = view.dataset.distributions.find(d => d.id === distId)
    if (dist?.sha256 === undefined) throw new ValidationError('distId', `no file "${distId}" in dataset "${id}"`)
    checkFileName(c.req.param('fileName'), fileNameOf(dist))
    if (access !== undefined) return fileResponse(c, blobs, await access.resolve(p, id, distId), true)
    // Alone (no region): only what this node holds.
    return fileResponse(
      c,
      blobs,
      { sha256: dist.sha256, byteSize: dist.byteSize ?? 0, mediaType: servedMediaType(dist), fileName: fileNameOf(dist) },
      true
    )
  })

  return app
}
