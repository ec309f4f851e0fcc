import type { Logger } from 'pino'
import type { BlobStore } from '../blob-store.js'
import type { NodeConfig } from '../config.js'
import type { NodeDb } from '../db/open.js'
import { DataQueryService } from '../services/data-query.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { SearchService } from '../services/search-service.js'
import type { EntryStore } from '../services/entry-store.js'
import { DataAccess } from './data-access.js'
import { FederatedDataQuery } from './federated-data-query.js'
import { FederatedSearch } from './federated-search.js'
import { FileFetch } from './file-fetch.js'
import { Mirror } from './mirror.js'
import type { Network } from './network.js'
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
  log: Logger
}): Promise<RegionServices> {
  const { network, config, db, blobs, regional, search, dataQuery, store, log } = deps
  const fetcher = new FileFetch(network.host, blobs, log.child({ part: 'fetch' }), network.guard)
  const federatedSearch = new FederatedSearch(network, search, log.child({ part: 'search' }), store)
  const federatedData = new FederatedDataQuery(network, dataQuery, log.child({ part: 'data-query' }))
  const access = new DataAccess(new BlobIndex(db), blobs, regional, fetcher, network, log.child({ part: 'access' }), config.maxUploadBytes)
  const wanted = new Set(config.mirror.publishers)
  const mirror = new Mirror(
    () =>
      new Set(
        network
          .participants()
          .filter(p => wanted.has(p.peerId) || wanted.has(p.ags))
          .map(p => p.peerId)
      ),
    regional,
    blobs,
    access,
    log.child({ part: 'mirror' })
  )
  await fetcher.start()
  await federatedSearch.start()
  await federatedData.start()
  network.acceptor.events.on('entry:stored', entries => {
    mirror.onEntries(entries)
  })
  network.every(config.sync.antiEntropyMs, () => {
    mirror.catchUp()
  })
  mirror.catchUp()
  return { federatedSearch, federatedData, access, mirror }
}
