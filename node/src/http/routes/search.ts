import { Hono } from 'hono'
import { z } from 'zod'
import type { FederatedSearch } from '../../p2p/federated-search.js'
import type { SearchService } from '../../services/search-service.js'
import { ApiError } from '../errors.js'
import { readQuery } from '../request.js'
import { readSearchQuery } from '../search-params.js'

export const federationQuerySchema = z.object({
  scope: z.enum(['local', 'federated']).default('local'),
  /** Per-request deadline for the other nodes' answers. */
  timeoutMs: z.coerce.number().int().min(100).max(30_000).default(2_000)
})

/** GET /api/v1/search — what this node holds, or (scope=federated) live from every node. */
export function searchRoutes ({ search, federatedSearch }: { search: SearchService, federatedSearch?: FederatedSearch }): Hono {
  return new Hono().get('/search', async c => {
    const { scope, timeoutMs } = readQuery(c, federationQuerySchema.passthrough())
    const query = readSearchQuery(c)
    if (scope === 'local') return c.json(search.search(query))
    if (federatedSearch === undefined) throw new ApiError(400, 'not_in_region', 'federated search needs a region: this node has no registry (swf-node join)', 'scope')
    return c.json(await federatedSearch.query(query, timeoutMs))
  })
}
