import { Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import type { Logger } from 'pino'
import type { BlobStore } from './blob-store.js'
import { downloadPath } from './file-names.js'
import type { CatalogService } from './services/catalog-service.js'
import { requireAdminToken } from './http/auth.js'
import { AuthFailures, writeRateLimit } from './http/rate-limit.js'
import { readOnlyCors } from './http/read-only-cors.js'
import { queryLimit } from './http/query-limit.js'
import type { NodeConfig } from './config.js'
import { onError, onNotFound } from './http/errors.js'
import { datasetRoutes } from './http/routes/datasets.js'
import { fileRoutes } from './http/routes/files.js'
import { healthRoutes } from './http/routes/health.js'
import { nodeInfoRoutes, type NodeInfo } from './http/routes/node-info.js'
import { regionRoutes } from './http/routes/region.js'
import { searchRoutes } from './http/routes/search.js'
import { dataQueryRunner, dataRoutes } from './http/routes/data.js'
import { ogcRoutes } from './http/routes/ogc.js'
import { useCaseRoutes } from './http/routes/use-cases.js'
import { UseCaseService } from './services/use-case-service.js'
import { collectionId, FeatureCollections } from './features/feature-collections.js'
import { DistributionPreviews } from './features/distribution-preview.js'
import { NotFoundError } from './errors.js'
import { peerIdSchema } from '@swf/protocol'
import { dcatRoutes } from './http/routes/dcat.js'
import { ckanRoutes } from './http/routes/ckan.js'
import { ImportedDatasets } from './services/imported-datasets.js'
import type { NodeMetrics } from './metrics.js'
import { dspRoutes } from './http/routes/dsp.js'
import { webRoutes } from './web/routes.js'
import { docsRoutes } from './http/routes/docs.js'
import { importRoutes } from './http/routes/import.js'
import { ImportService } from './services/import-service.js'
import { CkanApi } from './ckan/ckan-api.js'
import { organizationName, type Organization } from './ckan/packages.js'
import type { NodeDb } from './db/open.js'
import type { DataQueryService } from './services/data-query-service.js'
import type { RegionServices } from './region/region-services.js'
import type { SearchService } from './services/search-service.js'
import type { EntryStore } from './services/entry-store.js'
import type { RegionalCatalog } from './services/regional-catalog.js'
import type { RegionStatus } from './region/region-status.js'
import type { WhoIs } from './peer-names.js'
import type { ParticipantDirectory } from './region/participant-directory.js'

export interface AppDeps {
  catalog: CatalogService
  regional: RegionalCatalog
  search: SearchService
  dataQuery: DataQueryService
  federatedSearch?: RegionServices['federatedSearch']
  federatedData?: RegionServices['federatedData']
  access?: RegionServices['access']
  /** The files this node keeps and what it lacks of them (status). */
  mirror?: RegionServices['mirror']
  store: EntryStore
  /** What the HTTP API sees of the network (absent when the node runs alone). */
  region?: RegionStatus
  directory?: ParticipantDirectory
  whoIs: WhoIs
  blobs: BlobStore
  adminToken: string
  metrics: NodeMetrics
  db: NodeDb
  /** The node's data directory (named when its disk is full). */
  dataDir: string
  /** Where KML and GPX files are kept converted to GeoJSON (`<dataDir>/converted`). */
  convertedDir: string
  /** Public base URL for links in exports (default: the request's origin). */
  publicUrl?: string
  contributorId: string
  maxUploadBytes: number
  /** config `import.allowPrivateNetworks` */
  allowPrivateImports?: boolean
  /** Limits of the HTTP surface (config `http`). */
  http: Pick<
    NodeConfig['http'],
    | 'writesPerMinute'
    | 'writeBurst'
    | 'maxAuthFailures'
    | 'queriesPerMinute'
    | 'queryBurst'
    | 'maxConcurrentQueriesPerClient'
    | 'maxConcurrentQueries'
    | 'maxQueuedQueries'
    | 'queryQueueMs'
    | 'itemsPerMinute'
    | 'itemsBurst'
  >
  info: NodeInfo
  log: Logger
  startedAt: Date
}

const cors = readOnlyCors()
/** Use cases described in one DCAT catalog page (its first). */
const MAX_EXPORTED_USE_CASES = 500

/** The node's HTTP surface: the JSON API and standard interfaces (http/) and the web UI (web/); routes stay thin, services do the work. */
export function createApp(deps: AppDeps): Hono {
  const authFailures = new AuthFailures(deps.http.maxAuthFailures)
  const admin = requireAdminToken(deps.adminToken, authFailures)
  // Built once, not per request (so are the CKAN API and the routes below).
  const importer = new ImportService(new ImportedDatasets(deps.db), deps.catalog, {
    allowPrivateNetworks: deps.allowPrivateImports ?? false
  })
  const ckan = new CkanApi(
    deps.search,
    deps.regional,
    () => organizations(deps),
    (base, publisher, dataset, dist) => `${base}${downloadPath(deps.info.peerId, publisher, dataset, dist)}`,
    {
      all: () => deps.catalog.useCases.list({}, 10_000).items,
      get: (publisher, id) => deps.catalog.useCases.get(publisher, id),
      usingDataset: (publisher, datasetId) => deps.catalog.useCases.usingDataset(publisher, datasetId)
    }
  )
  const names = collectionNames(deps)
  const heldPath = async (sha256: string): Promise<string | undefined> =>
    (await deps.blobs.has(sha256)) ? deps.blobs.pathOf(sha256) : undefined
  const features = new FeatureCollections({
    regional: deps.regional,
    search: deps.search,
    ...names,
    self: deps.info.peerId,
    convertedDir: deps.convertedDir,
    heldPath,
    localFile: (publisher, datasetId, distId) => localFileOf(deps, publisher, datasetId, distId)
  })
  const useCases = new UseCaseService(deps.catalog.useCases, deps.catalog, deps.regional, deps.search, deps.regional.kommuneOf)
  const app = new Hono()
  app.use(secureHeaders())
  app.use(writeRateLimit(deps.http.writesPerMinute, deps.http.writeBurst))
  app.use(
    queryLimit({
      perMinute: deps.http.queriesPerMinute,
      burst: deps.http.queryBurst,
      maxConcurrentPerClient: deps.http.maxConcurrentQueriesPerClient,
      maxConcurrent: deps.http.maxConcurrentQueries,
      maxQueued: deps.http.maxQueuedQueries,
      queueMs: deps.http.queryQueueMs,
      // Local search is one indexed read; these fan out to every node of the region.
      applies: c =>
        c.req.path === '/api/v1/query' ||
        c.req.path === '/collections/region/items' ||
        (c.req.path === '/api/v1/search' && c.req.query('scope') === 'federated')
    })
  )
  app.use(async (c, next) => (c.req.path.startsWith('/verwaltung') ? next() : cors(c, next)))
  app.use(deps.metrics.httpTiming)
  app.get('/metrics', async c => c.body(await deps.metrics.registry.metrics(), 200, { 'Content-Type': deps.metrics.registry.contentType }))
  app.route('/', healthRoutes())
  app.route('/', docsRoutes())
  app.route('/api/v1', nodeInfoRoutes(deps))
  app.route('/api/v1/datasets', datasetRoutes({ ...deps, admin }))
  app.route('/api/v1/files', fileRoutes(deps))
  app.route('/api/v1', importRoutes({ importer, admin, log: deps.log }))
  app.route('/api/v1', regionRoutes(deps))
  app.route('/api/v1', searchRoutes(deps))
  app.route(
    '/api/v1/use-cases',
    useCaseRoutes({
      useCases,
      catalog: deps.catalog,
      blobs: deps.blobs,
      admin,
      peerOfAgs: ags => organizations(deps).find(o => o.ags === ags)?.peerId,
      access: deps.access
    })
  )
  app.route('/api/v1', dataRoutes({ ...deps, peerId: deps.info.peerId, nameOf: names.nameOf }))
  app.route(
    '/',
    dcatRoutes({
      regional: deps.regional,
      useCases: publisher => deps.catalog.useCases.list(publisher === undefined ? {} : { publisher }, MAX_EXPORTED_USE_CASES).items,
      context: c => ({
        baseUrl: deps.publicUrl ?? new URL(c.req.url).origin,
        self: { peerId: deps.info.peerId, kommune: deps.info.kommune.name, ags: deps.info.kommune.ags },
        contributorId: deps.contributorId,
        agsOf: peer => deps.whoIs(peer).ags ?? undefined
      })
    })
  )
  app.route(
    '/',
    ckanRoutes({
      siteTitle: `Datenraum Südwestfalen: ${deps.info.kommune.name}`,
      publicUrl: deps.publicUrl,
      ckan
    })
  )
  app.route(
    '/',
    dspRoutes({
      regional: deps.regional,
      participantId: deps.info.peerId,
      agsOf: peer => deps.whoIs(peer).ags,
      publisherOfAgs: ags => organizations(deps).find(o => o.ags === ags)?.peerId,
      publicUrl: deps.publicUrl
    })
  )
  app.route(
    '/',
    ogcRoutes({
      collections: features,
      search: deps.search,
      runDataQuery: dataQueryRunner({ ...deps, peerId: deps.info.peerId }),
      nameOf: names.nameOf,
      self: deps.info.peerId,
      kommune: deps.info.kommune.name,
      publicUrl: deps.publicUrl,
      log: deps.log,
      itemsRate: { perMinute: deps.http.itemsPerMinute, burst: deps.http.itemsBurst }
    })
  )
  app.route(
    '/',
    webRoutes({
      kommune: deps.info.kommune,
      peerId: deps.info.peerId,
      adminToken: deps.adminToken,
      authFailures,
      maxUploadBytes: deps.maxUploadBytes,
      catalog: deps.catalog,
      search: deps.search,
      regional: deps.regional,
      store: deps.store,
      region: deps.region,
      directory: deps.directory,
      publicUrl: deps.publicUrl,
      previews: new DistributionPreviews(features, heldPath),
      collectionIdOf: (publisher, datasetId, distId) => collectionId(names.nameOf(publisher), datasetId, distId),
      useCases
    })
  )
  app.notFound(onNotFound)
  app.onError(onError(deps.log, deps.dataDir))
  return app
}

/**
 * The prefix of a publisher's collection and record ids: its Kommune's slug
 * (as CKAN's organization name), or its peer id when it has no Kommune here.
 */
function collectionNames(deps: AppDeps): { nameOf: (peerId: string) => string; peerOf: (name: string) => string | undefined } {
  // Asked once per collection and record listed: the names are kept until the participant list changes.
  let names: { serial: number; byPeer: Map<string, string>; byName: Map<string, string> } | undefined
  const current = (): NonNullable<typeof names> => {
    const serial = deps.directory?.serial ?? 0
    if (names?.serial !== serial) {
      const orgs = organizations(deps)
      // The first organization with a name wins, as a search of the list would find it (this node comes first).
      const first = <K>(pairs: Array<[K, string]>): Map<K, string> => new Map([...pairs].reverse())
      names = { serial, byPeer: first(orgs.map(o => [o.peerId, o.name])), byName: first(orgs.map(o => [o.name, o.peerId])) }
    }
    return names
  }
  return {
    nameOf: peerId => current().byPeer.get(peerId) ?? peerId,
    peerOf: name => current().byName.get(name) ?? (peerIdSchema.safeParse(name).success ? name : undefined)
  }
}

/** An intact local copy of a distribution's file: fetched and verified from the region when this node does not hold it. */
async function localFileOf(deps: AppDeps, publisher: string, datasetId: string, distId: string): Promise<{ path: string; source: string }> {
  if (deps.access !== undefined) {
    const file = await deps.access.resolve(publisher, datasetId, distId)
    return { path: deps.blobs.pathOf(file.sha256), source: file.source }
  }
  const dist = deps.regional.get(publisher, datasetId).dataset.distributions.find(d => d.id === distId)
  if (dist?.sha256 === undefined) throw new NotFoundError(`dataset "${datasetId}" has no file "${distId}"`)
  if ((await deps.blobs.verify(dist.sha256)) !== 'ok') throw new NotFoundError(`file ${dist.sha256} is not held by this node`)
  return { path: deps.blobs.pathOf(dist.sha256), source: 'local' }
}

/** Every Kommune of the region as a CKAN organization: this node and the active participants. */
function organizations(deps: AppDeps): Organization[] {
  const self: Organization = {
    peerId: deps.info.peerId,
    name: organizationName(deps.info.kommune.name),
    title: deps.info.kommune.name,
    ags: deps.info.kommune.ags
  }
  const others = (deps.directory?.participants() ?? [])
    .filter(p => p.peerId !== deps.info.peerId)
    .map(p => ({ peerId: p.peerId, name: organizationName(p.kommune), title: p.kommune, ags: p.ags }))
  return [self, ...others]
}
