import type { Logger } from 'pino'
import type { BlobStore } from '../blob-store.js'
import type { NodeConfig } from '../config.js'
import type { NodeDb } from '../db/open.js'
import { DataQueryService } from '../services/data-query-service.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { SearchService } from '../services/search-service.js'
import type { EntryStore } from '../services/entry-store.js'
import { DataAccess } from './data-access.js'
import { FederatedDataQuery } from './federated-data-query.js'
import { FederatedSearch } from './federated-search.js'
import { FileFetch } from './file-fetch.js'
import { Mirror } from './mirror.js'
import type { Network } from './network.js'
import type { RegionComponents } from './federation.js'
import type { WhoIs } from '../peer-names.js'
import { BlobIndex } from '../services/blob-index.js'

export interface RegionServices {
  federatedSearch: FederatedSearch
  federatedData: FederatedDataQuery
  access: DataAccess
  mirror: Mirror
}

/** The protocols on top of catalog sync: federated search, data queries, file fetch and mirroring. */
export async function startRegionServices(deps: {
  network: Network
  config: NodeConfig
  db: NodeDb
  blobs: BlobStore
  regional: RegionalCatalog
  search: SearchService
  dataQuery: DataQueryService
  store: EntryStore
  whoIs: WhoIs
  log: Logger
}): Promise<RegionServices> {
  const { network, config, db, blobs, regional, search, dataQuery, store, whoIs, log } = deps
  const region: RegionComponents = {
    host: network.host,
    guard: network.guard,
    self: network.peerId,
    whoIs,
    remoteTargets: () => network.remoteTargets(),
    isConnected: peer => network.isConnected(peer)
  }
  const { acceptor } = network.replication
  const fetcher = new FileFetch({ host: region.host, blobs, guard: region.guard, log: log.child({ part: 'fetch' }) })
  const federatedSearch = new FederatedSearch({ ...region, search, store, acceptor, log: log.child({ part: 'search' }) })
  const federatedData = new FederatedDataQuery({ ...region, dataQuery, log: log.child({ part: 'data-query' }) })
  // The protocols this node serves beside replication, registered here and nowhere else.
  const protocols = { fetch: fetcher, search: federatedSearch, dataQuery: federatedData }
  for (const protocol of Object.values(protocols)) await protocol.start()

  const blobIndex = new BlobIndex(db)
  const access = new DataAccess(blobIndex, blobs, regional, fetcher, region, log.child({ part: 'access' }), config.maxUploadBytes)
  const wanted = new Set(config.mirror.publishers)
  const mirror = new Mirror(
    network.peerId,
    () =>
      new Set(
        network
          .participants()
          .filter(p => wanted.has(p.peerId) || wanted.has(p.ags))
          .map(p => p.peerId)
      ),
    regional,
    blobIndex,
    blobs,
    access,
    log.child({ part: 'mirror' })
  )
  acceptor.events.on('entry:stored', entries => {
    mirror.onEntries(entries)
  })
  network.every(config.sync.antiEntropyMs, () => {
    void mirror.catchUp()
  })
  network.host.addEventListener('peer:connect', () => {
    mirror.onPeerConnected()
  })
  // Before the node answers: its status already counts the files it lacks (a restore from an older backup).
  await mirror.catchUp()
  return { federatedSearch, federatedData, access, mirror }
}
