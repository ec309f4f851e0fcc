import { Hono } from 'hono'
import type { CatalogService } from '../../services/catalog-service.js'
import type { Ed25519PublicJwk } from '../../../../protocol/src/index.js'

export interface NodeInfo {
  peerId: string
  publicKeyJwk: Ed25519PublicJwk
  kommune: { name: string, ags: string }
  version: string
}

/** /api/v1/node (who this node is) and /api/v1/status (how it is doing). */
export function nodeInfoRoutes ({ info, catalog, startedAt }: { info: NodeInfo, catalog: CatalogService, startedAt: Date }): Hono {
  return new Hono()
    .get('/node', c => c.json(info))
    .get('/status', c => {
      const head = catalog.head()
      return c.json({
        peerId: info.peerId,
        kommune: info.kommune,
        version: info.version,
        ownDatasets: catalog.countOwn(),
        ownEntries: head.seq,
        headHash: head.hash,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000)
      })
    })
}
