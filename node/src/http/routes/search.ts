import { Hono } from 'hono'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { FederatedSearch } from '../../region/federated-search.js'
import type { SearchService } from '../../services/search-service.js'
import { ApiError } from '../errors.js'
import { ndjsonResponse, wantsNdjson } from '../ndjson.js'
import { readQuery } from '../request.js'
import { readSearchQuery } from '../search-params.js'

export const federationQuerySchema = z.object({
  scope: z.enum(['local', 'federated']).default('local'),
  /** Per-request deadline for the other nodes' answers. */
  timeoutMs: z.coerce.number().int().min(100).max(30_000).default(2_000)
})

/**
 * GET /api/v1/search — what this node holds, or (scope=federated) live from
 * every node; federated with `Accept: application/x-ndjson`, one line per
 * node as it answers, then the merged result.
 */
export function searchRoutes({
  search,
  federatedSearch,
  log
}: {
  search: SearchService
  federatedSearch?: FederatedSearch
  log: Logger
}): Hono {
  return new Hono().get('/search', async c => {
    const { scope, timeoutMs } = readQuery(c, federationQuerySchema.loose())
    const query = readSearchQuery(c)
    if (scope === 'local') return c.json(search.search(query))
    if (federatedSearch === undefined)
      throw new ApiError(400, 'not_in_region', 'federated search needs a region: this node has no registry (swf-node join)', 'scope')
    if (!wantsNdjson(c)) return c.json(await federatedSearch.query(query, timeoutMs))
    return ndjsonResponse(c, log, async line => {
      const result = await federatedSearch.query(query, timeoutMs, (node, items) => {
        line({ type: 'node', node, items })
      })
      line({ type: 'result', ...result })
    })
  })
}
