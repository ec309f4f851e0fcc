import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { initNode } from '@swf/node/init'
import { initRegistry } from '@swf/registry/registry'
import type { Ed25519PublicJwk } from '@swf/protocol'

// Starts a registry and nodes as separate processes on 127.0.0.1, for the
// demo region and the benchmark.

const BIN = (name: string): string => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url))

export interface RegistryHandle {
  dataDir: string
  url: string
  token: string
  publicKeyJwk: Ed25519PublicJwk
  process?: ChildProcess
}
export interface NodeHandle {
  name: string
  ags: string
  dataDir: string
  url: string
  token: string
  peerId: string
  process?: ChildProcess
}

/** Creates the registry's data directory unless it exists; reads its key and token. */
export async function ensureRegistry(
  dataDir: string,
  port: number,
  /** Registry `limits` (the benchmark registers 59 nodes from one address at once). */
  limits?: { registrationsPerMinute?: number; registrationBurst?: number }
): Promise<RegistryHandle> {
  if (!existsSync(join(dataDir, 'registry.json'))) {
    await initRegistry(dataDir, { host: '127.0.0.1', port })
    if (limits !== undefined) {
      const file = join(dataDir, 'registry.json')
      writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), limits }, null, 2) + '\n')
    }
  }
  const key = JSON.parse(readFileSync(join(dataDir, 'registry-key.json'), 'utf8')) as { x: string }
  return {
    dataDir,
    url: `http://127.0.0.1:${port}`,
    token: readFileSync(join(dataDir, 'admin-token'), 'utf8').trim(),
    publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: key.x }
  }
}

export interface NodeOptions {
  name: string
  ags: string
  dataDir: string
  httpPort: number
  p2pPort: number
  registry: RegistryHandle
  sync?: { registryRefreshMs?: number; antiEntropyMs?: number; redialMs?: number }
  /** Per-client query limits (the benchmark is one client asking far more than a person). */
  http?: { queriesPerMinute?: number; queryBurst?: number; itemsPerMinute?: number; itemsBurst?: number }
  /** Publisher quotas (a node catching up on a large history at once needs more than an hour's worth). */
  quota?: { maxBytesPerPublisher?: number; maxBytesPerHour?: number }
}

/** Creates a node's data directory unless it exists (a second run reuses it). */
export async function ensureNode(o: NodeOptions): Promise<NodeHandle> {
  if (!existsSync(join(o.dataDir, 'config.json'))) {
    await initNode(o.dataDir, {
      kommune: { name: o.name, ags: o.ags },
      http: { host: '127.0.0.1', port: o.httpPort, ...o.http },
      p2p: { listen: [`/ip4/127.0.0.1/tcp/${o.p2pPort}`], inboundConnectionThreshold: 1000 },
      registry: { url: o.registry.url, publicKeyJwk: o.registry.publicKeyJwk },
      sync: { registryRefreshMs: 2_000, antiEntropyMs: 10_000, redialMs: 2_000, ...o.sync },
      ...(o.quota === undefined ? {} : { quota: o.quota })
    })
  }
  const key = JSON.parse(readFileSync(join(o.dataDir, 'node-key.json'), 'utf8')) as { kid: string }
  return {
    name: o.name,
    ags: o.ags,
    dataDir: o.dataDir,
    url: `http://127.0.0.1:${o.httpPort}`,
    token: readFileSync(join(o.dataDir, 'admin-token'), 'utf8').trim(),
    peerId: key.kid
  }
}

/** Spawns a CLI and resolves once its output matches `ready`; output goes to logFile. */
export async function spawnUntil(
  bin: 'swf-node' | 'swf-registry',
  args: string[],
  ready: RegExp,
  logFile: string,
  env: NodeJS.ProcessEnv = {}
): Promise<ChildProcess> {
  // The flags of the bins' #! lines (spawned through node, the #! line is not read).
  const child = spawn(process.execPath, ['--max-semi-space-size=4', BIN(bin), ...args], {
    env: { ...process.env, SWF_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const log = createWriteStream(logFile, { flags: 'a' })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  await new Promise<void>((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => {
      reject(new Error(`${bin} ${args.join(' ')} not ready after 60 s; see ${logFile}`))
    }, 60_000)
    const onData = (d: Buffer): void => {
      seen = (seen + String(d)).slice(-4096)
      if (ready.test(seen)) {
        clearTimeout(timer)
        child.stdout.off('data', onData)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`${bin} exited with ${code}; see ${logFile}`))
    })
  })
  return child
}

export const startRegistryProcess = async (r: RegistryHandle, logFile: string): Promise<ChildProcess> =>
  spawnUntil('swf-registry', ['start', '--data-dir', r.dataDir], /Registry running/, logFile)

export const startNodeProcess = async (n: NodeHandle, logFile: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> =>
  spawnUntil('swf-node', ['start', '--data-dir', n.dataDir], /is running at/, logFile, env)

/** Approves every node once the registry knows it (nodes register themselves at start). */
export async function approveAll(r: RegistryHandle, nodes: NodeHandle[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const pending = new Set(nodes.map(n => n.peerId))
  while (pending.size > 0) {
    const all = (await (await fetch(`${r.url}/participants/all`, { headers: { authorization: `Bearer ${r.token}` } })).json()) as Array<{
      peerId: string
      status: string
    }>
    for (const p of all) {
      if (!pending.has(p.peerId)) continue
      if (p.status !== 'active')
        await fetch(`${r.url}/participants/${p.peerId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${r.token}` } })
      pending.delete(p.peerId)
    }
    if (pending.size === 0) return
    if (Date.now() > deadline) throw new Error(`not registered after ${timeoutMs} ms: ${[...pending].join(', ')}`)
    await new Promise(res => setTimeout(res, 200))
  }
}

/** SIGTERM to every child, then wait for them to exit. */
export async function stopAll(children: Array<ChildProcess | undefined>): Promise<void> {
  await Promise.all(
    children
      .filter((c): c is ChildProcess => c !== undefined && c.exitCode === null)
      .map(
        async c =>
          new Promise<void>(resolve => {
            c.once('exit', () => {
              resolve()
            })
            c.kill('SIGTERM')
            setTimeout(() => {
              c.kill('SIGKILL')
            }, 10_000).unref()
          })
      )
  )
}

/** A call to a node's API; the caller names the answer's type (http/response-schemas.ts). */
export async function api<T = unknown>(n: NodeHandle, path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${n.token}`)
  const res = await fetch(`${n.url}${path}`, { ...init, headers })
  const text = await res.text()
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} at ${n.name}: ${res.status} ${text}`)
  return (text === '' ? null : res.headers.get('content-type')?.includes('json') === true ? JSON.parse(text) : text) as T
}
