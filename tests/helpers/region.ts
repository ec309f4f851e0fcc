import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { REGION } from '../../examples/suedwestfalen/region.js'
import { initNode } from '@swf/node/init'
import { startNode, type RunningNode } from '@swf/node/node'
import type { NodeConfigInput } from '@swf/node/config'
import { initRegistry, startRegistry, type RunningRegistry } from '@swf/registry/registry'
import { freePort, spawnCli, stopChild } from './cli.js'
import { tempDir } from './node.js'

const silent = pino({ level: process.env.SWF_TEST_LOG ?? 'silent' })

/** Polls until `check` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last === undefined ? '' : `: ${last instanceof Error ? last.message : JSON.stringify(last)}`}`
      )
    await new Promise(r => setTimeout(r, intervalMs))
  }
}

/** The demo region's seven Kommunen with their real AGS (examples/suedwestfalen). */
export const SEVEN_KOMMUNEN: Array<[name: string, ags: string]> = REGION.map(k => [k.name, k.ags])

export interface RegionNode {
  name: string
  ags: string
  dataDir: string
  token: string
  node: RunningNode
  api: (path: string, init?: RequestInit) => Promise<any>
  stop: () => Promise<void>
  start: () => Promise<void>
}

export interface ChildNode {
  name: string
  ags: string
  dataDir: string
  peerId: string
  url: string
  token: string
  child: ChildProcess
}

export class TestRegion {
  readonly root = tempDir('swf-region-')
  registry!: RunningRegistry
  registryDir = join(this.root, 'registry')
  registryToken = ''
  readonly nodes: RegionNode[] = []
  readonly children: ChildProcess[] = []

  async startRegistry(): Promise<RunningRegistry> {
    if (this.registryToken === '') {
      this.registryToken = (await initRegistry(this.registryDir, { host: '127.0.0.1', port: 0 })).adminToken
      // Every test node registers from 127.0.0.1; in a region each Kommune has an address of its own.
      const file = join(this.registryDir, 'registry.json')
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), limits: { registrationsPerMinute: 6_000, registrationBurst: 1_000 } })
      )
    }
    // A restarted registry comes back on the address the nodes know.
    // Undefined before the first start, whatever the `!` on the field says.
    const env = (this.registry as RunningRegistry | undefined) === undefined ? {} : { SWF_REGISTRY_PORT: new URL(this.registry.url).port }
    this.registry = await startRegistry({ dataDir: this.registryDir, env, log: silent })
    return this.registry
  }

  /** Creates, starts, registers and (by default) approves a node. */
  async addNode(name: string, ags: string, config: Partial<NodeConfigInput> = {}, approve = true): Promise<RegionNode> {
    const dataDir = join(this.root, ags)
    const { adminToken } = await initNode(dataDir, {
      kommune: { name, ags },
      http: { host: '127.0.0.1', port: 0 },
      ...config,
      // A fixed port, as in production: a restarted node keeps its registered address
      // (an active participant's new address waits for the operator's approval).
      p2p: { listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`], inboundConnectionThreshold: 10_000, ...config.p2p },
      registry: { url: this.registry.url, publicKeyJwk: this.registry.publicKeyJwk },
      sync: { registryRefreshMs: 200, antiEntropyMs: 1_000, redialMs: 300, ...config.sync }
    })
    const rn: RegionNode = {
      name,
      ags,
      dataDir,
      token: adminToken,
      node: undefined as unknown as RunningNode,
      api: async (path, init = {}) => {
        const headers = new Headers(init.headers)
        headers.set('authorization', `Bearer ${adminToken}`)
        if (init.body !== undefined) headers.set('content-type', 'application/json')
        const res = await fetch(`${rn.node.url}${path}`, { ...init, headers })
        const body = await res.json()
        if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`)
        return body
      },
      stop: async () => {
        await rn.node.stop()
      },
      start: async () => {
        rn.node = await startNode({ dataDir, env: {}, log: silent })
      }
    }
    await rn.start()
    this.nodes.push(rn)
    const peerId = rn.node.peerId
    await waitFor(() => this.registry.service.all().some(p => p.peerId === peerId), `${name} registered`)
    if (approve) await this.registry.service.approve(peerId)
    return rn
  }

  /** Adds a node per Kommune (same config for all) and waits until every one is connected to every other. */
  async addFullMesh(kommunen: Array<[string, string]>, config: Partial<NodeConfigInput> = {}): Promise<RegionNode[]> {
    const nodes: RegionNode[] = []
    for (const [name, ags] of kommunen) nodes.push(await this.addNode(name, ags, config))
    await waitFor(() => nodes.every(n => n.node.network!.host.getPeers().length === nodes.length - 1), 'full mesh', 30_000)
    return nodes
  }

  /**
   * A node in its own process (swf-node start), for tests that freeze or
   * kill a node for real. Registered and approved like the others.
   */
  async addChildNode(name: string, ags: string, config: Partial<NodeConfigInput> = {}): Promise<ChildNode> {
    const dataDir = join(this.root, ags)
    const http = await freePort()
    const init = await initNode(dataDir, {
      kommune: { name, ags },
      http: { host: '127.0.0.1', port: http },
      ...config,
      p2p: { listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`], inboundConnectionThreshold: 10_000, ...config.p2p },
      registry: { url: this.registry.url, publicKeyJwk: this.registry.publicKeyJwk },
      sync: { registryRefreshMs: 200, antiEntropyMs: 1_000, redialMs: 300, ...config.sync }
    })
    const { child } = await spawnCli(['start', '--data-dir', dataDir], /is running at/)
    this.children.push(child)
    await waitFor(() => this.registry.service.all().some(p => p.peerId === init.peerId), `${name} registered`)
    await this.registry.service.approve(init.peerId)
    return { name, ags, dataDir, peerId: init.peerId, url: `http://127.0.0.1:${http}`, token: init.adminToken, child }
  }

  async publish(rn: RegionNode, dataset: Record<string, unknown>): Promise<any> {
    return rn.api('/api/v1/datasets', { method: 'POST', body: JSON.stringify(dataset) })
  }

  /** Datasets node `rn` holds of `publisher`. */
  datasetIds(rn: RegionNode, publisher?: string): string[] {
    return rn.node.store.publisherStates().length === 0
      ? []
      : (
          rn.node.db.$client
            .prepare(
              `SELECT dataset_id FROM datasets WHERE tombstone = 0 ${publisher === undefined ? '' : 'AND publisher = ?'} ORDER BY dataset_id`
            )
            .all(...(publisher === undefined ? [] : [publisher])) as Array<{ dataset_id: string }>
        ).map(r => r.dataset_id)
  }

  /** A hash over every entry a node holds: equal hashes mean equal sets. */
  contentHash(rn: RegionNode): { count: number; hash: string } {
    const row = rn.node.db.$client
      .prepare("SELECT COUNT(*) AS n, group_concat(hash, ',') AS h FROM (SELECT hash FROM entries ORDER BY hash)")
      .get() as { n: number; h: string | null }
    return { count: row.n, hash: row.h === null ? '' : createHash('sha256').update(row.h).digest('hex') }
  }

  async close(): Promise<void> {
    for (const c of this.children) {
      c.kill('SIGCONT')
      await stopChild(c)
    }
    for (const n of this.nodes) await n.node.stop().catch(() => {})
    await (this.registry as RunningRegistry | undefined)?.stop().catch(() => {})
    rmSync(this.root, { recursive: true, force: true })
  }
}
