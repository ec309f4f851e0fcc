import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { EntrySigner, peerIdOf, publicJwkOf } from '@swf/protocol'
import { BlobStore } from './blob-store.js'
import {
  blobsPath,
  convertedPath,
  databasePath,
  keyPath,
  loadConfig,
  participantCachePath,
  pinnedRegistryKeyPath,
  tokenPath,
  type NodeConfig
} from './config.js'
import { closeDatabase, openDatabase, type NodeDb } from './db/open.js'
import { createApp } from './app.js'
import { loadIdentityKey } from './identity-store.js'
import { createLogger, type Logger } from './logger.js'
import { CatalogService } from './services/catalog-service.js'
import { EntryStore } from './services/entry-store.js'
import { RegionalCatalog } from './services/regional-catalog.js'
import { SearchService } from './services/search-service.js'
import { whoIsFrom } from './peer-names.js'
import { regionStatusOf } from './region/region-status.js'
import { DataQueryService } from './services/data-query-service.js'
import { startRegionServices, type RegionServices } from './region/region-services.js'
import { Network } from './region/network.js'
import { completeKeyRotation } from './region/key-handover.js'
import { ParticipantDirectory } from './region/participant-directory.js'
import { VERSION } from './version.js'
import { lockDataDir } from './data-dir-lock.js'
import { StartError } from './errors.js'
import { createMetrics } from './metrics.js'

export interface StartOptions {
  dataDir: string
  env?: NodeJS.ProcessEnv
  /** Replaces the logger built from the config (tests pass a silent one). */
  log?: Logger
}

export interface RunningNode {
  config: NodeConfig
  dataDir: string
  peerId: string
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  url: string
  /** The HTTP application (for tests that inspect the routes). */
  app: ReturnType<typeof createApp>
  catalog: CatalogService
  search: SearchService
  region: RegionServices | undefined
  store: EntryStore
  network: Network | undefined
  directory: ParticipantDirectory | undefined
  db: NodeDb
  log: Logger
  stop: () => Promise<void>
}

/** Opens a node's data directory (locked: one node per directory) and serves it over HTTP until stop(). */
export async function startNode(options: StartOptions): Promise<RunningNode> {
  const dataDir = resolve(options.dataDir)
  const config = loadConfig(dataDir, options.env ?? process.env) // a missing or broken config is named before the lock is tried
  const release = lockDataDir(dataDir)
  try {
    const node = await startLockedNode(options, dataDir, config)
    return {
      ...node,
      stop: async () => {
        try {
          await node.stop()
        } finally {
          release()
        }
      }
    }
  } catch (err) {
    release()
    throw err
  }
}

async function startLockedNode(options: StartOptions, dataDir: string, config: NodeConfig): Promise<RunningNode> {
  const log = options.log ?? createLogger(config.logLevel, options.env)
  const key = await loadIdentityKey(keyPath(dataDir))
  const adminToken = (await readFile(tokenPath(dataDir), 'utf8')).trim()
  const peerId = peerIdOf(key)

  const db = openDatabase(databasePath(dataDir))
  const blobs = new BlobStore(blobsPath(dataDir), log.child({ part: 'blobs' }))
  await blobs.init()
  const entryStore = new EntryStore(db)
  const catalog = new CatalogService(db, await EntrySigner.create(key), blobs, entryStore, config.kommune.name)
  let directory: ParticipantDirectory | undefined
  let network: Network | undefined
  if (config.registry !== undefined) {
    directory = new ParticipantDirectory({
      registryUrl: config.registry.url,
      registryKey: config.registry.publicKeyJwk,
      cacheFile: participantCachePath(dataDir),
      pinnedKeyFile: pinnedRegistryKeyPath(dataDir),
      maxListAgeMs: config.sync.maxListAgeMs,
      log: log.child({ part: 'directory' })
    })
    network = new Network({ key, config, directory, store: entryStore, log })
    try {
      await network.start()
    } catch (err) {
      closeDatabase(db)
      throw err
    }
    const net = network
    catalog.events.on('entry:published', entry => {
      net.publish(entry)
    })
    // After `swf-node rotate-key`: re-publish under the new key, then retire the old one (retried until the registry confirms).
    const handover = async (): Promise<void> => {
      const done = await completeKeyRotation(dataDir, key, config, catalog, log.child({ part: 'key' })).catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'key rotation not completed yet')
        return 'pending' as const
      })
      if (done === 'pending')
        setTimeout(() => {
          void handover()
        }, config.sync.registryRefreshMs).unref()
    }
    void handover()
  } else {
    log.info('no registry configured: running alone (join a region with "swf-node join")')
  }
  const dir = directory
  const whoIs = whoIsFrom({ peerId, kommune: config.kommune }, directory)
  const kommuneOf = (peer: string): string | null => whoIs(peer).kommune
  const regional = new RegionalCatalog(db, kommuneOf)
  const net = network
  const search = new SearchService(db, {
    kommuneOf,
    isOnline: peer => peer === peerId || (net?.isConnected(peer) ?? false),
    publishersWithAgs: ags => [
      ...(config.kommune.ags === ags ? [peerId] : []),
      ...(dir
        ?.participants()
        .filter(p => p.ags === ags && p.peerId !== peerId)
        .map(p => p.peerId) ?? [])
    ]
  })
  search.warm()

  const dataQuery = new DataQueryService(search, blobs, peerId)
  let region: RegionServices | undefined
  if (network !== undefined) {
    region = await startRegionServices({ network, config, db, blobs, regional, search, dataQuery, store: entryStore, whoIs, log })
  }

  const startedAt = new Date()
  const regionStatus = network === undefined ? undefined : regionStatusOf(network)
  const app = createApp({
    ...region,
    dataQuery,
    catalog,
    regional,
    search,
    store: entryStore,
    region: regionStatus,
    directory,
    whoIs,
    blobs,
    dataDir,
    convertedDir: convertedPath(dataDir),
    adminToken,
    metrics: createMetrics({ store: entryStore, region: regionStatus, directory, whoIs }),
    db,
    publicUrl: config.http.publicUrl?.replace(/\/+$/, ''),
    contributorId: config.dcat.contributorId,
    maxUploadBytes: config.maxUploadBytes,
    allowPrivateImports: config.import.allowPrivateNetworks,
    http: config.http,
    info: { peerId, publicKeyJwk: publicJwkOf(key), kommune: config.kommune, version: VERSION },
    log,
    startedAt
  })

  let server: ServerType
  const address = await new Promise<AddressInfo>((resolveListen, reject) => {
    server = serve(
      {
        fetch: app.fetch,
        hostname: config.http.host,
        port: config.http.port,
        // Timeouts are checked every second (Node's default, 30 s, would let slow clients linger).
        serverOptions: {
          maxHeaderSize: config.http.maxHeaderBytes,
          headersTimeout: config.http.headersTimeoutMs,
          requestTimeout: config.http.requestTimeoutMs,
          connectionsCheckingInterval: 1_000
        }
      },
      info => {
        resolveListen(info)
      }
    )
    server.once('error', (err: NodeJS.ErrnoException) => {
      void network?.stop()
      closeDatabase(db)
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES'
          ? new StartError(
              `HTTP port ${config.http.port} on ${config.http.host} ${err.code === 'EADDRINUSE' ? 'is in use' : err.code === 'EACCES' ? 'needs privileges' : 'is not an address of this machine'}; set http.port (or http.host) in config.json, or SWF_HTTP_PORT`
            )
          : err
      )
    })
  })
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`
  log.info({ url, peerId, kommune: config.kommune.name }, 'node started')

  let stopped = false
  return {
    config,
    dataDir,
    peerId,
    url,
    app,
    catalog,
    search,
    region,
    store: entryStore,
    network,
    directory,
    db,
    log,
    stop: async () => {
      if (stopped) return
      stopped = true
      await new Promise<void>(res => {
        server.close(() => {
          res()
        })
        // Idle keep-alive sockets would hold close() open.
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      await network?.stop()
      closeDatabase(db)
      log.info('node stopped')
    }
  }
}
