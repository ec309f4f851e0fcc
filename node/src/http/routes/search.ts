import { Hono } from 'hono'
import type { SearchService } from '../../services/search-service.js'
import { readSearchQuery } from '../search-params.js'

/** GET /api/v1/search — the regional catalog this node holds. */
export function searchRoutes ({ search }: { search: SearchService }): Hono {
  return new Hono().get('/search', c => c.json(search.search(readSearchQuery(c))))
}
