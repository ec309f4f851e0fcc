import { Hono } from 'hono'
import { peerIdSchema } from '@swf/protocol'
import type { RegionalCatalog } from '../../services/regional-catalog.js'
import type { RegionStatus } from '../../region/region-status.js'
import type { WhoIs } from '../../peer-names.js'
import { pageQuerySchema, readQuery } from '../request.js'

export interface RegionRouteDeps {
  regional: RegionalCatalog
  region?: RegionStatus
  whoIs: WhoIs
}

export const catalogQuerySchema = pageQuerySchema.extend({ publisher: peerIdSchema.optional() })

/** The regional view: everything the node holds, and the peers it syncs with. */
export function regionRoutes({ regional, region, whoIs }: RegionRouteDeps): Hono {
  return new Hono()
    .get('/catalog', c => {
      const q = readQuery(c, catalogQuerySchema)
      return c.json(regional.list(q.limit, q.cursor, q.publisher))
    })
    .get('/catalog/:publisher/:id', c => {
      return c.json(regional.get(c.req.param('publisher'), c.req.param('id')))
    })
    .get('/peers', c => {
      const connected = new Set(region?.connectedPeers() ?? [])
      return c.json({
        peers: (region?.peers() ?? []).map(s => ({ ...s, connected: connected.has(s.peerId), ...whoIs(s.peerId) }))
      })
    })
}
