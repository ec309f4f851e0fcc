import { Hono } from 'hono'
import { peerIdSchema } from '../../../../protocol/src/index.js'
import type { RegionalCatalog } from '../../services/regional-catalog.js'
import type { Network } from '../../p2p/network.js'
import type { ParticipantDirectory } from '../../p2p/participant-directory.js'
import { pageQuerySchema, readQuery } from '../request.js'

export interface RegionRouteDeps {
  regional: RegionalCatalog
  network?: Network
  directory?: ParticipantDirectory
}

export const catalogQuerySchema = pageQuerySchema.extend({ publisher: peerIdSchema.optional() })

/** The regional view: everything the node holds, and the peers it syncs with. */
export function regionRoutes ({ regional, network, directory }: RegionRouteDeps): Hono {
  return new Hono()
    .get('/catalog', c => {
      const q = readQuery(c, catalogQuerySchema)
      return c.json(regional.list(q.limit, q.cursor, q.publisher))
    })
    .get('/catalog/:publisher/:id', c => {
      return c.json(regional.get(c.req.param('publisher'), c.req.param('id')))
    })
    .get('/peers', c => {
      const stats = network?.tracker.all() ?? []
      const connected = new Set(network?.host.getPeers().map(p => p.toString()) ?? [])
      return c.json({
        peers: stats.map(s => ({
          ...s,
          connected: connected.has(s.peerId),
          kommune: directory?.get(s.peerId)?.kommune ?? null,
          ags: directory?.get(s.peerId)?.ags ?? null
        }))
      })
    })
}
