import { Hono } from 'hono'
import type { CatalogService } from '../../services/catalog-service.js'
import type { EntryStore } from '../../services/entry-store.js'
import type { ParticipantDirectory } from '../../region/participant-directory.js'
import type { RegionStatus } from '../../region/region-status.js'
import type { WhoIs } from '../../peer-names.js'
import type { Ed25519PublicJwk } from '@swf/protocol'

export interface NodeInfo {
  peerId: string
  publicKeyJwk: Ed25519PublicJwk
  kommune: { name: string; ags: string }
  version: string
}

export interface NodeInfoDeps {
  info: NodeInfo
  catalog: CatalogService
  store: EntryStore
  startedAt: Date
  region?: RegionStatus
  directory?: ParticipantDirectory
  whoIs: WhoIs
  /** In a region: the files this node keeps (its own, mirrored ones) and how many of them it lacks. */
  mirror?: { missingFiles: () => number }
}

/** /api/v1/node (who this node is) and /api/v1/status (how it is doing). */
export function nodeInfoRoutes({ info, catalog, store, startedAt, region, directory, whoIs, mirror }: NodeInfoDeps): Hono {
  return new Hono()
    .get('/node', c => c.json({ ...info, addresses: region?.addresses() ?? [] }))
    .get('/status', c => {
      const head = catalog.head()
      const publishers = store.publisherStates()
      return c.json({
        peerId: info.peerId,
        kommune: info.kommune,
        version: info.version,
        ownDatasets: catalog.countOwn(),
        ownEntries: head.seq,
        headHash: head.hash,
        regionalEntries: store.countEntries(),
        regionalDatasets: store.countDatasets(),
        /** Files of live entries this node should hold (its own, mirrored publishers') and lacks, being fetched; null alone. */
        missingFiles: mirror?.missingFiles() ?? null,
        registry:
          directory === undefined
            ? null
            : {
                listSerial: directory.serial,
                participants: directory.participants().length,
                lastFetchAt: directory.lastFetchAt ?? null,
                lastFetchError: directory.lastFetchError ?? null,
                /** Seconds since the registry last confirmed the list; stale past sync.maxListAgeMs. */
                listAgeSeconds: ageSeconds(directory.listAgeMs()),
                stale: directory.isStale(),
                registration: region?.registration() ?? null,
                /** In the region or not, and why: active, pending, revoked, cut-off (no list: wrong key, no registry), not-listed. */
                membership: region?.membership() ?? null
              },
        connectedPeers: region?.connectedPeers().length ?? 0,
        // Lag: entries held beyond a gap, i.e. known to exist but not yet contiguous.
        sync: publishers.map(p => ({
          publisher: p.peerId,
          kommune: whoIs(p.peerId).kommune,
          contiguousSeq: p.contiguousSeq,
          maxSeq: p.maxSeq,
          lag: p.maxSeq - p.contiguousSeq
        })),
        /** Pulls under way (initial sync progress): entries announced and received per peer. */
        pulls: region?.pulls() ?? [],
        /** Publishers proven to have signed two histories: the proofs are kept and spread. */
        equivocations: store.equivocatingPublishers().map(e => ({
          publisher: e.publisher,
          kommune: whoIs(e.publisher).kommune,
          proofs: e.proofs
        })),
        gossip: region?.gossipCounters() ?? null,
        accepted: region?.acceptCounters() ?? null,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000)
      })
    })
}

const ageSeconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 1000))
