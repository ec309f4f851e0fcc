import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { agsSchema, publicJwkSchema } from '@swf/protocol'

// A node's configuration lives in <dataDir>/config.json, written by `init`.
// Environment variables override single values, for containers and tests.

export const DEFAULT_HTTP_PORT = 8080
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 1024 * 1024 // 1 GiB

export const nodeConfigSchema = z.strictObject({
  kommune: z.strictObject({
    name: z.string().trim().min(1).max(200),
    ags: agsSchema
  }),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(DEFAULT_HTTP_PORT),
      /** How other people reach this node's HTTP API (for links in metadata). */
      publicUrl: z.url().optional(),
      /** Request header bytes in all; more is answered 431. */
      maxHeaderBytes: z
        .number()
        .int()
        .min(1024)
        .default(16 * 1024),
      /** Time to receive the request headers (slow-client defence), and the whole request. */
      headersTimeoutMs: z.number().int().positive().default(15_000),
      requestTimeoutMs: z.number().int().positive().default(600_000),
      /** Write requests (POST, PUT, PATCH, DELETE) per client address: sustained per minute, and at once. */
      writesPerMinute: z.number().positive().default(3_000),
      writeBurst: z.number().int().positive().default(500),
      /** Wrong admin tokens per client address per 10 minutes before every attempt is refused (429). */
      maxAuthFailures: z.number().int().positive().default(10),
      /** Federated searches and data queries (they fan out to every node) per client address: per minute, at once, running. */
      queriesPerMinute: z.number().positive().default(120),
      queryBurst: z.number().int().positive().default(20),
      maxConcurrentQueriesPerClient: z.number().int().positive().default(2),
      /** Federated searches and data queries running at once on this node, from all clients. */
      maxConcurrentQueries: z.number().int().positive().default(16),
      /** Queries waiting for one of those (fairly: the client that asked least lately goes first), each at most queryQueueMs; then 503. */
      maxQueuedQueries: z.number().int().min(0).default(32),
      queryQueueMs: z.number().int().min(0).max(60_000).default(3_000),
      /** OGC API items per client address, per minute and at once: a page counts one per 100 features, a new property filter 600 more. */
      itemsPerMinute: z.number().positive().default(6_000),
      itemsBurst: z.number().int().positive().default(3_000)
    })
    .prefault({}),
  p2p: z
    .strictObject({
      listen: z.array(z.string().min(1)).default(['/ip4/127.0.0.1/tcp/4001']),
      /** Addresses to register instead of the listen addresses (NAT, public IP). */
      announce: z.array(z.string().min(1)).default([]),
      /** Dial every registered participant (the default), or only `bootstrap`. */
      dialRegistered: z.boolean().default(true),
      /** Extra peers to dial: multiaddrs ending in /p2p/<peer id>. */
      bootstrap: z.array(z.string().min(1)).default([]),
      /** Inbound connections per second per host before libp2p refuses (raise for many nodes on one host). */
      inboundConnectionThreshold: z.number().int().positive().default(5),
      maxConnections: z.number().int().positive().default(300),
      /** Peers a node keeps connections to (random among the participants, plus every bootstrap peer). */
      targetPeers: z.number().int().positive().default(8),
      /** Per-peer limits (see PeerGuard): request rate, and strikes for forged entries or undecodable frames before a ban. */
      limits: z
        .strictObject({
          requestsPerSecond: z.number().positive().default(20),
          burst: z.number().int().positive().default(50),
          maxStrikes: z.number().int().min(0).default(20),
          strikeWindowMs: z.number().int().positive().default(600_000),
          banMs: z.number().int().positive().default(600_000)
        })
        .prefault({})
    })
    .prefault({}),
  /** The region's registry. Without it the node runs alone (no libp2p). */
  registry: z
    .strictObject({
      url: z.url(),
      /** The registry's public key, pinned: lists signed by any other key are refused. */
      publicKeyJwk: publicJwkSchema
    })
    .optional(),
  sync: z
    .strictObject({
      /** How often the participant list is fetched from the registry. */
      registryRefreshMs: z.number().int().min(50).default(10_000),
      /** How often the node pulls from a peer it is connected to (anti-entropy). */
      antiEntropyMs: z.number().int().min(50).default(30_000),
      /** How often unconnected participants are dialled again. */
      redialMs: z.number().int().min(50).default(10_000),
      /** A participant list the registry has not confirmed for this long is stale: warned about in the log, status and metrics. */
      maxListAgeMs: z.number().int().min(1_000).default(600_000),
      /** Entries signed further in the future than this are refused (clock skew between Kommunen). */
      maxClockSkewMs: z.number().int().min(0).default(300_000)
    })
    .prefault({}),
  /**
   * What one publisher may make every node store. Defaults no Kommune reaches
   * honestly; beyond them entries are refused (not held, not relayed), and
   * the relaying peer is not struck: it may be honest.
   */
  quota: z
    .strictObject({
      maxEntriesPerPublisher: z.number().int().positive().default(1_000_000),
      /** Bytes on this node's disk (entries with their state and search rows, `entryCost`). */
      maxBytesPerPublisher: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024 * 1024),
      /** Bytes on disk of the entries this node received within the last hour, per publisher (whatever they claim as issuedAt). */
      maxBytesPerHour: z
        .number()
        .int()
        .positive()
        .default(64 * 1024 * 1024)
    })
    .prefault({}),
  /** Opt-in: keep verified copies of these publishers' files (peer ids or AGS). */
  mirror: z
    .strictObject({
      publishers: z.array(z.string().min(1)).default([])
    })
    .prefault({}),
  /** DCAT-AP.de export settings. */
  dcat: z
    .strictObject({
      /** dcatde:contributorID of this node's datasets (GovData's list; default Open.NRW). */
      contributorId: z.url().default('http://dcat-ap.de/def/contributors/openNRW')
    })
    .prefault({}),
  import: z
    .strictObject({
      /** Follow redirects and next pages of a source catalog to other hosts on loopback or private addresses. */
      allowPrivateNetworks: z.boolean().default(false)
    })
    .prefault({}),
  maxUploadBytes: z.number().int().positive().default(DEFAULT_MAX_UPLOAD_BYTES),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
})

export type NodeConfig = z.infer<typeof nodeConfigSchema>
export type NodeConfigInput = z.input<typeof nodeConfigSchema>

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export const configPath = (dataDir: string): string => join(dataDir, 'config.json')
export const keyPath = (dataDir: string): string => join(dataDir, 'node-key.json')
/** The key rotated away from, kept until its datasets are re-published under the new key. */
export const previousKeyPath = (dataDir: string): string => join(dataDir, 'node-key.previous.json')
export const tokenPath = (dataDir: string): string => join(dataDir, 'admin-token')
export const databasePath = (dataDir: string): string => join(dataDir, 'node.sqlite')
export const blobsPath = (dataDir: string): string => join(dataDir, 'blobs')
/** KML and GPX files converted to GeoJSON for OGC API items (a cache: safe to delete while the node is stopped). */
export const convertedPath = (dataDir: string): string => join(dataDir, 'converted')
export const participantCachePath = (dataDir: string): string => join(dataDir, 'participants.jws')
/** The registry key this node follows after a signed hand-over (overrides config's registry.publicKeyJwk). */
export const pinnedRegistryKeyPath = (dataDir: string): string => join(dataDir, 'registry-key.json')

/** SWF_* variables that override config values; names documented in the README. */
function envOverrides(env: NodeJS.ProcessEnv): (c: Record<string, unknown>) => void {
  return c => {
    // A section that is there but no object stays as it is: the schema names it.
    const section = (name: string): Record<string, unknown> => {
      c[name] ??= {}
      const s = c[name]
      return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {}
    }
    const int = (name: string): number | undefined => {
      const v = env[name]
      if (v === undefined || v === '') return undefined
      if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a whole number, got "${v}"`)
      return Number(v)
    }
    const http = section('http')
    const kommune = section('kommune')
    if (env.SWF_HTTP_HOST) http.host = env.SWF_HTTP_HOST
    const port = int('SWF_HTTP_PORT')
    if (port !== undefined) http.port = port
    if (env.SWF_PUBLIC_URL) http.publicUrl = env.SWF_PUBLIC_URL
    if (env.SWF_P2P_LISTEN) {
      section('p2p').listen = env.SWF_P2P_LISTEN.split(',')
        .map(s => s.trim())
        .filter(Boolean)
    }
    const max = int('SWF_MAX_UPLOAD_BYTES')
    if (max !== undefined) c.maxUploadBytes = max
    if (env.SWF_LOG_LEVEL) c.logLevel = env.SWF_LOG_LEVEL
    if (env.SWF_KOMMUNE_NAME) kommune.name = env.SWF_KOMMUNE_NAME
    if (env.SWF_AGS) kommune.ags = env.SWF_AGS
    const sync = section('sync')
    const refresh = int('SWF_REGISTRY_REFRESH_MS')
    if (refresh !== undefined) sync.registryRefreshMs = refresh
    const ae = int('SWF_ANTI_ENTROPY_MS')
    if (ae !== undefined) sync.antiEntropyMs = ae
    const redial = int('SWF_REDIAL_MS')
    if (redial !== undefined) sync.redialMs = redial
  }
}

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): NodeConfig {
  const copy = structuredClone(raw ?? {}) as Record<string, unknown>
  envOverrides(env)(copy)
  const r = nodeConfigSchema.safeParse(copy)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new ConfigError(`invalid configuration at "${issue?.path.join('.')}": ${issue?.message}`)
  }
  return r.data
}

export function loadConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const file = configPath(resolve(dataDir))
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    throw new ConfigError(`no configuration at ${file}; run "swf-node init" first`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new ConfigError(`${file} is not valid JSON`)
  }
  return parseConfig(raw, env)
}
