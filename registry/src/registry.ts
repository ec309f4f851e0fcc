import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { serve, type ServerType } from '@hono/node-server'
import { pino, type Logger } from 'pino'
import { z } from 'zod'
import {
  EntrySigner,
  REGISTRY_HANDOVER_TYP,
  generateIdentityKey,
  peerIdOf,
  privateKeyFromJwk,
  privateKeyToJwk,
  publicJwkOf,
  type Ed25519PublicJwk,
  type RegistryHandover
} from '@swf/protocol'
import { createRegistryApp, DEFAULT_REGISTRY_HTTP_LIMITS } from './app.js'
import { openRegistryDatabase } from './db/open.js'
import { DEFAULT_REGISTRY_LIMITS, RegistryService } from './registry-service.js'

const configSchema = z.strictObject({
  http: z.strictObject({ host: z.string().min(1), port: z.number().int().min(0).max(65535) }),
  logLevel: z.string().default('info'),
  /** What anonymous clients and registered nodes can make the registry store or do. */
  limits: z
    .strictObject({
      /** Registrations per client address: per minute, and at once (every node start re-registers). */
      registrationsPerMinute: z.number().positive().default(DEFAULT_REGISTRY_HTTP_LIMITS.registrationsPerMinute),
      registrationBurst: z.number().int().positive().default(DEFAULT_REGISTRY_HTTP_LIMITS.registrationBurst),
      /** Wrong operator tokens per client address in 10 minutes before it is locked out. */
      maxAuthFailures: z.number().int().positive().default(DEFAULT_REGISTRY_HTTP_LIMITS.maxAuthFailures),
      /** Pending registrations expire after this long, and at most this many are held. */
      pendingTtlMs: z.number().int().positive().default(DEFAULT_REGISTRY_LIMITS.pendingTtlMs),
      maxPending: z.number().int().positive().default(DEFAULT_REGISTRY_LIMITS.maxPending)
    })
    .prefault({})
})
export type RegistryConfig = z.infer<typeof configSchema>

export class RegistryConfigError extends Error {
  override readonly name = 'RegistryConfigError'
}

const files = (dir: string) => ({
  config: join(dir, 'registry.json'),
  key: join(dir, 'registry-key.json'),
  token: join(dir, 'admin-token'),
  db: join(dir, 'registry.sqlite'),
  handovers: join(dir, 'handovers.json')
})

export interface RegistryInitResult {
  dataDir: string
  peerId: string
  publicKeyJwk: Ed25519PublicJwk
  adminToken: string
}

/** Creates the registry's data directory: config, Ed25519 key, admin token. */
export async function initRegistry(dataDir: string, http: { host: string; port: number }): Promise<RegistryInitResult> {
  const dir = resolve(dataDir)
  const f = files(dir)
  if (existsSync(f.config) || existsSync(f.key)) throw new RegistryConfigError(`${dir} already holds a registry`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const key = await generateIdentityKey()
  await writeFile(f.key, JSON.stringify(privateKeyToJwk(key), null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  const adminToken = randomBytes(32).toString('base64url')
  await writeFile(f.token, adminToken + '\n', { mode: 0o600, flag: 'wx' })
  await writeFile(f.config, JSON.stringify({ http, logLevel: 'info' }, null, 2) + '\n', { flag: 'wx' })
  return { dataDir: dir, peerId: peerIdOf(key), publicKeyJwk: publicJwkOf(key), adminToken }
}

export function loadRegistryConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const file = files(resolve(dataDir)).config
  let raw: Record<string, unknown> & { http?: object }
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw
  } catch {
    throw new RegistryConfigError(`no readable registry configuration at ${file}; run "swf-registry init" first`)
  }
  if (env.SWF_REGISTRY_PORT !== undefined) raw.http = { ...raw.http, port: Number(env.SWF_REGISTRY_PORT) }
  if (env.SWF_REGISTRY_HOST !== undefined) raw.http = { ...raw.http, host: env.SWF_REGISTRY_HOST }
  const r = configSchema.safeParse(raw)
  if (!r.success)
    throw new RegistryConfigError(`invalid registry configuration at "${r.error.issues[0]?.path.join('.')}": ${r.error.issues[0]?.message}`)
  return r.data
}

/**
 * `swf-registry rotate-key` (registry stopped): a new registry key, and a
 * hand-over signed by the old one that nodes follow from the key they pinned.
 * The chain of hand-overs is kept and served, so a node that slept through
 * several rotations still arrives at the current key.
 */
export async function rotateRegistryKey(dataDir: string): Promise<{ oldPeerId: string; newPeerId: string }> {
  const f = files(resolve(dataDir))
  const oldKey = await privateKeyFromJwk(JSON.parse(await readFile(f.key, 'utf8')))
  const newKey = await generateIdentityKey()
  const handover: RegistryHandover = {
    v: 1,
    oldRegistry: peerIdOf(oldKey),
    newRegistry: peerIdOf(newKey),
    newPublicKeyJwk: publicJwkOf(newKey),
    issuedAt: new Date().toISOString()
  }
  const jws = await (await EntrySigner.create(oldKey)).signDocument(handover, REGISTRY_HANDOVER_TYP)
  await writeAtomically(f.handovers, JSON.stringify([...(await readHandovers(f.handovers)), jws], null, 2) + '\n', 0o644)
  await writeAtomically(f.key, JSON.stringify(privateKeyToJwk(newKey), null, 2) + '\n', 0o600)
  return { oldPeerId: handover.oldRegistry, newPeerId: handover.newRegistry }
}

async function readHandovers(file: string): Promise<string[]> {
  return existsSync(file) ? z.array(z.string()).parse(JSON.parse(await readFile(file, 'utf8'))) : []
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  await writeFile(`${file}.tmp`, text, { mode })
  await rename(`${file}.tmp`, file)
}

export interface RunningRegistry {
  url: string
  peerId: string
  publicKeyJwk: Ed25519PublicJwk
  service: RegistryService
  stop: () => Promise<void>
}

export async function startRegistry(opts: { dataDir: string; env?: NodeJS.ProcessEnv; log?: Logger }): Promise<RunningRegistry> {
  const dir = resolve(opts.dataDir)
  const f = files(dir)
  const config = loadRegistryConfig(dir, opts.env ?? process.env)
  const log = opts.log ?? pino({ level: config.logLevel })
  const key = await privateKeyFromJwk(JSON.parse(await readFile(f.key, 'utf8')))
  const adminToken = (await readFile(f.token, 'utf8')).trim()
  const db = openRegistryDatabase(f.db)
  const service = new RegistryService(db, await EntrySigner.create(key), {
    pendingTtlMs: config.limits.pendingTtlMs,
    maxPending: config.limits.maxPending
  })
  const publicKeyJwk = publicJwkOf(key)
  const handovers = await readHandovers(f.handovers)
  // A list signed by a key before a rotation is signed anew, with the next serial.
  await service.ensureSignedByCurrentKey()
  const app = createRegistryApp({ service, adminToken, publicKeyJwk, handovers, log, limits: config.limits })

  let server: ServerType
  const address = await new Promise<AddressInfo>((res, rej) => {
    server = serve({ fetch: app.fetch, hostname: config.http.host, port: config.http.port }, info => {
      res(info)
    })
    server.once('error', (err: NodeJS.ErrnoException) => {
      db.$client.close()
      rej(
        err.code === 'EADDRINUSE'
          ? new RegistryConfigError(`port ${config.http.port} on ${config.http.host} is in use; set http.port in registry.json`)
          : err
      )
    })
  })
  const url = `http://${config.http.host}:${address.port}`
  log.info({ url, peerId: service.peerId }, 'registry started')
  return {
    url,
    peerId: service.peerId,
    publicKeyJwk,
    service,
    stop: async () => {
      await new Promise<void>(r => {
        server.close(() => {
          r()
        })
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      db.$client.close()
    }
  }
}
