import '@swf/protocol/polyfills'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  api,
  approveAll,
  ensureNode,
  ensureRegistry,
  startNodeProcess,
  startRegistryProcess,
  stopAll,
  type NodeHandle,
  type RegistryHandle
} from '../examples/suedwestfalen/launcher.js'
import Database from 'better-sqlite3'
import { EntrySigner, EntryVerifier, generateIdentityKey, datasetMetadataSchema, toFtsQuery } from '@swf/protocol'
import type { FederatedSearchAnswer, LocalSearchAnswer, RegionalDataset, StatusAnswer } from '@swf/node/http/response-schemas'
import { fillNode } from './bulk-entries.js'
import { spatialItems } from './spatial-items.js'
import { ed25519VerifyCeiling, sqliteInsertCeiling } from './ceilings.js'
import { latencyChart } from './chart.js'
import { cpuSecondsOf, loopbackBytes, memoryOf, percentile, round } from './measure.js'

// `npm run bench`: numbers, not pass/fail. Runs N nodes as child processes on
// 127.0.0.1 and writes bench/results.json, bench/results.svg and a table.
// BENCH_SIZES=5,20,59  BENCH_ENTRIES=100000  BENCH_PUBLICATIONS=100

const SIZES = (process.env.BENCH_SIZES ?? '5,20,59')
  .split(',')
  .map(Number)
  .filter(n => n > 0)
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000)
const PUBLICATIONS = Number(process.env.BENCH_PUBLICATIONS ?? 100)
const FEATURES = Number(process.env.BENCH_FEATURES ?? 100_000)
const SIMULATE = (process.env.BENCH_SIMULATE ?? '60,396')
  .split(',')
  .map(Number)
  .filter(n => n > 0)
const BENCH_HTTP_LIMITS = { queriesPerMinute: 1_000_000, queryBurst: 100_000 }
/** OrbitDB 4, the same two-process 10,000-entry case on this machine (issue 15; lower end of 87–90 s and 344–353 MB). */
const ORBITDB_10K = { seconds: 87, peakRssMb: 344 }
const OUT = fileURLToPath(new URL('./', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'swf-bench-'))
const sleep = async (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))
const log = (s: string): void => {
  console.error(`[bench] ${s}`)
}

interface Region {
  registry: RegistryHandle
  nodes: NodeHandle[]
}

async function startRegion(
  name: string,
  n: number,
  base: number,
  prepare?: (node: NodeHandle, i: number) => void | Promise<void>
): Promise<Region & { startupMs: number[] }> {
  const dir = join(root, name)
  mkdirSync(join(dir, 'logs'), { recursive: true })
  // Every node of a benchmark region registers from 127.0.0.1 within seconds.
  const registry = await ensureRegistry(join(dir, 'registry'), base, { registrationsPerMinute: 10_000, registrationBurst: 1_000 })
  registry.process = await startRegistryProcess(registry, join(dir, 'logs', 'registry.log'))
  const nodes: NodeHandle[] = []
  for (let i = 0; i < n; i++) {
    nodes.push(
      await ensureNode({
        name: `Kommune ${i + 1}`,
        ags: `0590${String(i).padStart(4, '0')}`,
        dataDir: join(dir, `n${i}`),
        httpPort: base + 1 + i,
        p2pPort: base + 1001 + i,
        registry,
        sync: { registryRefreshMs: 1_000, antiEntropyMs: 15_000, redialMs: 1_000 },
        // The benchmark is one client on 127.0.0.1 asking hundreds of federated searches a minute.
        http: BENCH_HTTP_LIMITS
      })
    )
    await prepare?.(nodes[i]!, i)
  }
  const startupMs: number[] = []
  try {
    // Start six at a time: 59 cold starts at once would measure the machine, not the node.
    for (let i = 0; i < nodes.length; i += 6) {
      await Promise.all(
        nodes.slice(i, i + 6).map(async (node, j) => {
          const t0 = performance.now()
          node.process = await startNodeProcess(node, join(dir, 'logs', `n${i + j}.log`))
          startupMs.push(performance.now() - t0)
        })
      )
    }
    await approveAll(registry, nodes, 120_000)
  } catch (err) {
    // Never leave processes (and their ports) behind when a region fails to come up.
    await stopRegion({ registry, nodes })
    throw err
  }
  return { registry, nodes, startupMs }
}

async function stopRegion(r: Region): Promise<void> {
  await stopAll([...r.nodes.map(n => n.process), r.registry.process])
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number, every = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await sleep(every)
  }
}

const status = async (n: NodeHandle): Promise<StatusAnswer> => api<StatusAnswer>(n, '/api/v1/status')

async function regionRun(n: number, base: number): Promise<Record<string, unknown>> {
  log(`region of ${n} nodes: starting`)
  const region = await startRegion(`region-${n}`, n, base)
  try {
    return await measureRegion(n, region)
  } finally {
    await stopRegion(region)
  }
}

async function measureRegion(n: number, region: Region & { startupMs: number[] }): Promise<Record<string, unknown>> {
  const { nodes } = region
  let connected = 0
  try {
    await waitUntil(
      async () => {
        connected = (await Promise.all(nodes.map(status))).filter(s => s.connectedPeers >= 1).length
        return connected === n
      },
      'connected',
      300_000,
      2000
    )
  } catch {
    throw new Error(`only ${connected}/${n} nodes had a peer after 300 s`)
  }
  await sleep(3000) // let gossipsub meshes form
  log(`region of ${n} nodes: up (start-up ${round(percentile(region.startupMs, 50), 0)} ms p50)`)

  // Footprint of one idle node.
  const pid = nodes[0]!.process!.pid!
  const cpu0 = cpuSecondsOf(pid)
  const idleBytes0 = loopbackBytes()
  await sleep(10_000)
  const idle = {
    ...memoryOf(pid),
    cpuPercent: round(((cpuSecondsOf(pid) - cpu0) / 10) * 100, 2),
    loopbackBytesPerSecond: Math.round((loopbackBytes() - idleBytes0) / 10)
  }

  // Propagation: publish on random nodes; receivers stamp received_at when they store.
  const published: Array<{ node: NodeHandle; id: string; bytes: number }> = []
  const bytes0 = loopbackBytes()
  const t0 = Date.now()
  for (let i = 0; i < PUBLICATIONS; i++) {
    const node = nodes[Math.floor(Math.random() * n)]!
    const id = `messung-${i}`
    await api(node, '/api/v1/datasets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id,
        title: `Messreihe ${i}`,
        description: `Benchmark-Datensatz ${i} mit Messwerten.`,
        license: 'dl-by-de/2.0',
        keywords: ['Messung'],
        themes: ['ENVI']
      })
    })
    published.push({ node, id, bytes: 0 })
    await sleep(100)
  }
  await waitUntil(
    async () => (await Promise.all(nodes.map(status))).every(s => s.regionalEntries >= PUBLICATIONS),
    'all publications everywhere',
    120_000,
    1000
  )
  const elapsed = (Date.now() - t0) / 1000
  const wireBytes = loopbackBytes() - bytes0 - idle.loopbackBytesPerSecond * elapsed
  const entryBytes: number[] = []
  const maxDelays: number[] = []
  const allDelays: number[] = []
  for (const p of published) {
    const own = await api<{ jws: string }>(p.node, `/api/v1/datasets/${p.id}/entry`)
    entryBytes.push(own.jws.length)
    const t = Date.parse((await api<RegionalDataset>(p.node, `/api/v1/catalog/${p.node.peerId}/${p.id}`)).entry.receivedAt)
    const delays = await Promise.all(
      nodes
        .filter(x => x !== p.node)
        .map(async x => Date.parse((await api<RegionalDataset>(x, `/api/v1/catalog/${p.node.peerId}/${p.id}`)).entry.receivedAt) - t)
    )
    allDelays.push(...delays)
    maxDelays.push(Math.max(...delays))
  }
  const avgEntry = entryBytes.reduce((a, b) => a + b, 0) / entryBytes.length

  // Federated search across the region.
  const fed: number[] = []
  const statuses: Record<string, number> = {}
  for (let i = 0; i < 50; i++) {
    const t = performance.now()
    const r = await api<FederatedSearchAnswer>(nodes[0]!, '/api/v1/search?scope=federated&timeoutMs=2000&q=Messreihe')
    fed.push(performance.now() - t)
    for (const s of r.nodes) statuses[s.status] = (statuses[s.status] ?? 0) + 1
  }
  log(`region of ${n} nodes: done`)
  return {
    nodes: n,
    startupMs: { p50: round(percentile(region.startupMs, 50), 0), max: round(Math.max(...region.startupMs), 0) },
    idleNode: idle,
    propagation: {
      publications: PUBLICATIONS,
      visibleOnAllMs: { p50: percentile(maxDelays, 50), p99: percentile(maxDelays, 99), max: Math.max(...maxDelays) },
      perNodeMs: { p50: percentile(allDelays, 50), p99: percentile(allDelays, 99) }
    },
    gossipWire: {
      entryBytes: round(avgEntry, 0),
      bytesPerDeliveredEntry: round(wireBytes / (PUBLICATIONS * (n - 1)), 0),
      ratio: round(wireBytes / (PUBLICATIONS * (n - 1)) / avgEntry, 2)
    },
    federatedSearchMs: { p50: round(percentile(fed, 50), 1), p99: round(percentile(fed, 99), 1), nodeStatuses: statuses }
  }
}

/**
 * A node holding `entries` of its own, and a fresh node that joins and pulls
 * them all (two processes on 127.0.0.1: the OrbitDB comparison's setting);
 * with `withSearch`, the catalog search on the full node first.
 */
async function coldSyncAndSearch(base: number, entries: number, withSearch: boolean): Promise<Record<string, any>> {
  log(`cold sync: filling a node with ${entries} entries`)
  let avgEntryBytes = 0
  const tFill = performance.now()
  const region = await startRegion(`cold-${entries}`, 1, base, node => {
    avgEntryBytes = fillNode(node.dataDir, entries, done => {
      if (done % 20_000 === 0) log(`  ${done} entries signed and stored`)
    }).avgEntryBytes
  })
  let fresh: NodeHandle | undefined
  try {
    const fillSeconds = (performance.now() - tFill) / 1000
    const holder = region.nodes[0]!
    await sleep(2000)

    const search = withSearch ? await searchOn(holder) : { skipped: true }

    // A fresh node joins and pulls everything.
    fresh = await ensureNode({
      name: 'Neue Kommune',
      ags: '05999998',
      dataDir: join(root, `cold-${entries}`, 'fresh'),
      httpPort: base + 50,
      p2pPort: base + 1050,
      registry: region.registry,
      sync: { registryRefreshMs: 500, antiEntropyMs: 15_000, redialMs: 500 },
      http: BENCH_HTTP_LIMITS,
      // One publisher's whole history at once (100,000 entries cost ~450 MB on disk): more than the default hour allows.
      quota: { maxBytesPerPublisher: 4 * 1024 ** 3, maxBytesPerHour: 4 * 1024 ** 3 }
    })
    const bytes0 = loopbackBytes()
    fresh.process = await startNodeProcess(fresh, join(root, `cold-${entries}`, 'logs', 'fresh.log'))
    await approveAll(region.registry, [fresh])
    const t0 = performance.now()
    let peak = 0
    await waitUntil(
      async () => {
        peak = Math.max(peak, memoryOf(fresh!.process!.pid!).peakRssMb)
        return (await status(fresh!)).regionalEntries >= entries
      },
      'cold sync',
      900_000,
      250
    )
    const seconds = (performance.now() - t0) / 1000
    const wire = loopbackBytes() - bytes0
    return {
      fill: { seconds: round(fillSeconds, 1) },
      search,
      coldSync: {
        entries: entries,
        seconds: round(seconds, 1),
        entriesPerSecond: round(entries / seconds, 0),
        peakRssMb: peak,
        wire: {
          entryBytes: round(avgEntryBytes, 0),
          bytesPerEntry: round(wire / entries, 0),
          ratio: round(wire / entries / avgEntryBytes, 2)
        }
      }
    }
  } finally {
    // Never leave processes (and their ports) behind, also when a measurement fails.
    await stopAll([fresh?.process])
    await stopRegion(region)
  }
}

/** Catalog search on a full node: a mixed sequence, every query kind, and concurrent clients. */
async function searchOn(holder: NodeHandle): Promise<Record<string, unknown>> {
  const queries = [
    'q=Radweg',
    'q=Stra%C3%9Fe&theme=TRAN',
    'theme=ENVI&license=cc-by/4.0',
    'q=Messreihe%20Kita',
    'bbox=7.6,51.1,7.7,51.2',
    'keyword=Parken',
    'q=Luftqualit%C3%A4t&bbox=7.5,51.0,8.5,51.7',
    'format=CSV&q=Haushalt',
    '',
    'q=Spielplatz&limit=50'
  ]
  const lat: number[] = []
  for (let i = 0; i < 300; i++) {
    const t = performance.now()
    await api(holder, `/api/v1/search?${queries[i % queries.length]}`)
    lat.push(performance.now() - t)
  }
  const kinds = await searchKinds(holder)
  const concurrent50 = await concurrentSearch(holder, queries, 50, 10_000)
  const concurrent200 = await concurrentSearch(holder, queries, 200, 30_000)
  const search = {
    entries: ENTRIES,
    sequentialMs: { p50: round(percentile(lat, 50), 1), p99: round(percentile(lat, 99), 1) },
    kinds,
    concurrent50,
    concurrent200
  }
  log(
    `search: p50 ${search.sequentialMs.p50} ms, p99 ${search.sequentialMs.p99} ms, ${search.concurrent50.requestsPerSecond} req/s with 50 clients`
  )
  return search
}

/**
 * Every query kind the web UI and API offer, 100 sequential HTTP requests each
 * (facets on, as the API always answers), beside the raw FTS5 top-20 query on
 * the same file for the kinds with words: what the index costs by itself.
 */
async function searchKinds(
  holder: NodeHandle
): Promise<Record<string, { p50Ms: number; p99Ms: number; total: number; rawFts5?: { p50Ms: number; p99Ms: number } }>> {
  const words: Record<string, string> = { 'common word': 'Messreihe', 'rare word': 'Messreihe 77777', umlaut: 'Straße' }
  const page1 = await api<LocalSearchAnswer>(holder, '/api/v1/search?q=Radweg')
  const kinds: Record<string, string> = {
    ...Object.fromEntries(Object.entries(words).map(([k, w]) => [k, `q=${encodeURIComponent(w)}`])),
    theme: 'theme=ENVI',
    licence: 'license=cc-by%2F4.0',
    publisher: `publisher=${holder.peerId}`,
    format: 'format=CSV',
    keyword: 'keyword=Parken',
    bbox: 'bbox=7.6,51.1,7.7,51.2',
    'words and filters': 'q=Luftqualit%C3%A4t&theme=SOCI&bbox=7.5,51.0,8.5,51.7',
    empty: '',
    'cursor page 2': `q=Radweg&cursor=${page1.nextCursor ?? ''}`
  }
  const out: Awaited<ReturnType<typeof searchKinds>> = {}
  for (const [kind, qs] of Object.entries(kinds)) {
    const lat: number[] = []
    let total = 0
    for (let i = 0; i < 100; i++) {
      const t = performance.now()
      total = (await api<LocalSearchAnswer>(holder, `/api/v1/search?${qs}`)).total
      lat.push(performance.now() - t)
    }
    out[kind] = { p50Ms: round(percentile(lat, 50), 1), p99Ms: round(percentile(lat, 99), 1), total }
    log(`  search ${kind}: p50 ${out[kind].p50Ms} ms, p99 ${out[kind].p99Ms} ms`)
  }
  // After the HTTP requests: a pause of seconds between them would let the
  // server close the client's keep-alive socket under it ("fetch failed").
  const raw = new Database(join(holder.dataDir, 'node.sqlite'), { readonly: true })
  const match = raw.prepare('SELECT rowid FROM dataset_fts WHERE dataset_fts MATCH ? ORDER BY rank LIMIT 20')
  for (const [kind, word] of Object.entries(words)) {
    const fts = toFtsQuery(word)!
    const rawLat: number[] = []
    for (let i = 0; i < 100; i++) {
      const t = performance.now()
      match.all(fts)
      rawLat.push(performance.now() - t)
    }
    out[kind]!.rawFts5 = { p50Ms: round(percentile(rawLat, 50), 2), p99Ms: round(percentile(rawLat, 99), 2) }
    log(`  raw FTS5 top 20, ${kind}: p99 ${out[kind]!.rawFts5.p99Ms} ms`)
  }
  raw.close()
  return out
}

/**
 * Idle footprint: a one-node region's node (libp2p on, registered) and, in
 * the same run, the minimal process of hono + SQLite + libp2p it is compared with.
 */
async function footprint(base: number): Promise<{ nodeRssMb: number; minimalRssMb: number; ratio: number }> {
  const idleRss = async (pid: number): Promise<number> => {
    await sleep(10_000)
    return memoryOf(pid).rssMb
  }
  const minimal = spawn(process.execPath, ['--max-semi-space-size=4', join(OUT, 'minimal-process.js')], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  await new Promise<void>((resolve, reject) => {
    minimal.stdout.once('data', () => {
      resolve()
    })
    minimal.once('exit', code => {
      reject(new Error(`minimal process exited with ${code}`))
    })
  })
  const minimalRssMb = await idleRss(minimal.pid!)
  await stopAll([minimal])
  const region = await startRegion('footprint', 1, base)
  try {
    const nodeRssMb = await idleRss(region.nodes[0]!.process!.pid!)
    log(`footprint: idle node ${nodeRssMb} MB, minimal hono + SQLite + libp2p process ${minimalRssMb} MB`)
    return { nodeRssMb, minimalRssMb, ratio: round(nodeRssMb / minimalRssMb, 2) }
  } finally {
    await stopRegion(region)
  }
}

/** The 396-node simulation (bench/simulate-region.ts) as a child process: its JSON, or why it failed. */
async function simulate(nodes: number): Promise<Record<string, any>> {
  log(`simulation of ${nodes} nodes in one process`)
  const child = spawn(process.execPath, ['--import', 'tsx', join(OUT, 'simulate-region.ts')], {
    env: { ...process.env, SIM_NODES: String(nodes) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += String(d)
  })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  const last = out.trim().split('\n').at(-1) ?? ''
  if (!last.startsWith('{')) return { nodes, error: `simulation exited with ${code}` }
  return JSON.parse(last) as Record<string, any>
}

/** `clients` concurrent HTTP clients searching for `ms`: throughput, latency, errors. */
async function concurrentSearch(
  holder: NodeHandle,
  queries: string[],
  clients: number,
  ms: number
): Promise<{ clients: number; seconds: number; requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }> {
  const latencies: number[] = []
  let errors = 0
  const end = Date.now() + ms
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      let i = c
      while (Date.now() < end) {
        const t = performance.now()
        try {
          const res = await fetch(`${holder.url}/api/v1/search?${queries[i++ % queries.length]}`)
          await res.arrayBuffer()
          if (!res.ok) errors++
        } catch {
          errors++
        }
        latencies.push(performance.now() - t)
      }
    })
  )
  return {
    clients,
    seconds: ms / 1000,
    requestsPerSecond: round(latencies.length / (ms / 1000), 0),
    p50Ms: round(percentile(latencies, 50), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    errors
  }
}

/** One core of the full verification path (decode, canonical check, schema, signature). */
async function verifyPipelineRate(): Promise<number> {
  const signer = await EntrySigner.create(await generateIdentityKey())
  const dataset = datasetMetadataSchema.parse({ id: 'd', title: 'Messreihe', description: 'Benchmark', license: 'dl-by-de/2.0' })
  const list = await Promise.all(
    Array.from({ length: 3000 }, async (_, i) =>
      signer.sign({
        v: 1,
        publisher: signer.peerId,
        datasetId: 'd',
        seq: i + 1,
        prevHash: i === 0 ? null : 'a'.repeat(64),
        issuedAt: new Date().toISOString(),
        tombstone: false,
        dataset
      })
    )
  )
  const v = new EntryVerifier()
  const t = performance.now()
  for (const e of list) await v.verify(e.jws)
  return Math.round(list.length / ((performance.now() - t) / 1000))
}

async function main(): Promise<boolean> {
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`
  }
  log(`machine: ${JSON.stringify(machine)}`)
  const ceilings = {
    ed25519Verify: await ed25519VerifyCeiling(),
    sqliteInsert: sqliteInsertCeiling(),
    entryVerifyOneCore: await verifyPipelineRate()
  }
  log(`ceilings: ${JSON.stringify(ceilings)}`)
  // BENCH_ENTRIES=0 skips the cold-sync and search phase (to measure regions only).
  // Fixed ports stay below Linux's ephemeral range (32768+): outgoing dials
  // of one region took a port a later region wanted to listen on.
  const idle = await footprint(19_000)
  const cold = ENTRIES > 0 ? await coldSyncAndSearch(20_000, ENTRIES, true) : { coldSync: { skipped: true }, search: { skipped: true } }
  // Two processes, B joins fresh and pulls 10,000 entries: OrbitDB 4 took 87–90 s here, B peaking at 344–353 MB (issue 15).
  const replication10k = (await coldSyncAndSearch(21_000, 10_000, false)).coldSync as { seconds: number; peakRssMb: number }
  // OGC API items of one collection of BENCH_FEATURES features (0 skips it).
  const spatial = FEATURES > 0 ? await spatialItems(26_000, FEATURES) : { skipped: true }
  const simulations: Array<Record<string, any>> = []
  for (const n of SIMULATE) simulations.push(await simulate(n))
  const regions: Array<Record<string, any>> = []
  const coldSync = cold.coldSync as { entriesPerSecond?: number; peakRssMb?: number }
  const results = (): Record<string, unknown> => ({
    date: new Date().toISOString(),
    machine,
    parameters: { sizes: SIZES, entries: ENTRIES, publications: PUBLICATIONS },
    ceilings,
    footprint: idle,
    ...cold,
    spatial,
    simulations,
    replication10k: {
      ...replication10k,
      orbitDb: ORBITDB_10K,
      timeVsOrbitDb: round(replication10k.seconds / ORBITDB_10K.seconds, 3),
      peakRssVsOrbitDb: round(replication10k.peakRssMb / ORBITDB_10K.peakRssMb, 2)
    },
    coldSyncVsVerifyCeiling: round((coldSync.entriesPerSecond ?? 0) / ceilings.ed25519Verify.perSecond, 3),
    coldSyncVsSqliteCeiling: round(cold.coldSync.entriesPerSecond / ceilings.sqliteInsert.perSecond, 3),
    regions
  })
  const save = (): void => {
    writeFileSync(join(OUT, 'results.json'), JSON.stringify(results(), null, 2) + '\n')
  }
  save()
  for (const [i, n] of SIZES.entries()) {
    try {
      regions.push(await regionRun(n, 22_000 + i * 2_000))
    } catch (err) {
      // A region that cannot be measured is a result too.
      log(`region of ${n} nodes failed: ${(err as Error).message}`)
      regions.push({ nodes: n, error: (err as Error).message })
    }
    save()
  }
  const measured = regions.filter(r => r.error === undefined)
  writeFileSync(
    join(OUT, 'results.svg'),
    latencyChart(
      'Südwestfalen-Benchmark: Latenz nach Regionsgröße',
      [
        {
          label: 'Ausbreitung (alle Knoten)',
          color: '#0b4f6c',
          values: measured.map(r => ({ n: r.nodes, p50: r.propagation.visibleOnAllMs.p50, p99: r.propagation.visibleOnAllMs.p99 }))
        },
        {
          label: 'Föderierte Suche',
          color: '#2e7d32',
          values: measured.map(r => ({ n: r.nodes, p50: r.federatedSearchMs.p50, p99: r.federatedSearchMs.p99 }))
        }
      ],
      1000
    )
  )
  const rows: Array<[string, string, string]> = [
    [
      'Ed25519 verify ceiling (node:crypto, all cores)',
      `${ceilings.ed25519Verify.perSecond}/s (${ceilings.ed25519Verify.threads} threads)`,
      ''
    ],
    ['Entry verification, full path, one core', `${ceilings.entryVerifyOneCore}/s`, ''],
    ['SQLite inserts, one transaction', `${ceilings.sqliteInsert.perSecond}/s`, ''],
    [
      'Two nodes, B pulls 10,000 entries',
      `${replication10k.seconds} s, B peak RSS ${replication10k.peakRssMb} MB (OrbitDB 4: ${ORBITDB_10K.seconds} s, ${ORBITDB_10K.peakRssMb} MB)`,
      `≤ 1/20 time → ${round(replication10k.seconds / ORBITDB_10K.seconds, 3)}; ≤ ½ RSS → ${round(replication10k.peakRssMb / ORBITDB_10K.peakRssMb, 2)}`
    ],
    [
      'Idle node (one-node region) vs minimal hono + SQLite + libp2p process',
      `${idle.nodeRssMb} MB vs ${idle.minimalRssMb} MB`,
      `≤ 80 MB and ≤ 1.1× → ${idle.ratio}×`
    ],
    ...(ENTRIES > 0
      ? ([
          [
            `Cold sync of ${ENTRIES} entries`,
            `${coldSync.entriesPerSecond}/s, peak RSS ${coldSync.peakRssMb} MB`,
            `≥ 0.7 × verify ceiling → ${String(results().coldSyncVsVerifyCeiling)}`
          ],
          [
            'Cold sync wire bytes per entry',
            `${cold.coldSync.wire.bytesPerEntry} B (entry ${cold.coldSync.wire.entryBytes} B)`,
            `≤ 1.2× → ${cold.coldSync.wire.ratio}×`
          ],
          [`Search on ${ENTRIES} entries`, `p50 ${cold.search.sequentialMs.p50} ms, p99 ${cold.search.sequentialMs.p99} ms`, 'p99 ≤ 20 ms'],
          ...Object.entries(cold.search.kinds as Record<string, any>).map(
            ([kind, k]) =>
              [
                `  search: ${kind}`,
                `p50 ${k.p50Ms} ms, p99 ${k.p99Ms} ms (${k.total} hits)${k.rawFts5 ? `; raw FTS5 top 20: p99 ${k.rawFts5.p99Ms} ms` : ''}`,
                `p99 ≤ 20 ms${k.rawFts5 ? ` → ${round(k.p99Ms / k.rawFts5.p99Ms, 2)}× raw` : ''}`
              ] as [string, string, string]
          ),
          [
            'Search, 50 concurrent clients, 10 s',
            `${cold.search.concurrent50.requestsPerSecond} req/s, p99 ${cold.search.concurrent50.p99Ms} ms, ${cold.search.concurrent50.errors} errors`,
            ''
          ],
          [
            'Search, 200 concurrent clients, 30 s',
            `${cold.search.concurrent200.requestsPerSecond} req/s, p99 ${cold.search.concurrent200.p99Ms} ms, ${cold.search.concurrent200.errors} errors`,
            '0 errors'
          ]
        ] as Array<[string, string, string]>)
      : []),
    ...(FEATURES > 0
      ? ([
          [
            `OGC API items, ${spatial.features} features (${spatial.fileMb} MB CSV): first page (index built)`,
            `${spatial.firstPageMs} ms`,
            ''
          ],
          ['  page of 100 at a random offset', `p50 ${spatial.pageMs.p50} ms, p99 ${spatial.pageMs.p99} ms`, 'p99 ≤ 50 ms'],
          ['  bbox query (0.1°, 100 items)', `p50 ${spatial.bboxMs.p50} ms, p99 ${spatial.bboxMs.p99} ms`, 'p99 ≤ 50 ms'],
          [
            '  paging through all (limit 1000)',
            `${spatial.pagingAll.seconds} s, RSS ${spatial.rss.beforePagingMb} → peak ${spatial.rss.peakWhilePagingMb} MB`,
            `streamed: growth ≪ file → ${spatial.rss.growthWhilePagingMb} MB`
          ],
          ['  GDAL ogr2ogr to GeoPackage (PAGE_SIZE=1000)', JSON.stringify(spatial.gdalToGeoPackage), '']
        ] as Array<[string, string, string]>)
      : []),
    ...simulations.flatMap(simulation =>
      simulation.error !== undefined
        ? ([[`Simulation, ${simulation.nodes} nodes`, `not measured: ${simulation.error}`, '']] as Array<[string, string, string]>)
        : ([
            [
              `Simulation, ${simulation.nodes} nodes in one process: propagation`,
              `all nodes p50 ${simulation.propagation.visibleOnAllMs.p50} ms, p99 ${simulation.propagation.visibleOnAllMs.p99} ms; hops p50 ${simulation.propagation.hops.p50}, p99 ${simulation.propagation.hops.p99}`,
              ''
            ],
            [
              '  gossip wire bytes',
              `${simulation.gossipWire.bytesPerDeliveredEntry} B per delivered entry (${simulation.gossipWire.ratio}× the entry), ${simulation.gossipWire.bytesPerNodePerEntry} B per node and entry`,
              ''
            ],
            [
              '  churn: a tenth away while entries are published',
              `all ${simulation.nodes} hold everything ${simulation.churn.convergedSeconds} s after they are back`,
              ''
            ],
            ['  idle', `CPU ${simulation.idle.cpuPercentPerNode} % per node`, '']
          ] as Array<[string, string, string]>)
    ),
    ...regions
      .filter(r => r.error !== undefined)
      .map(r => [`Region of ${r.nodes} nodes`, `not measured: ${r.error}`, ''] as [string, string, string]),
    ...measured.flatMap(
      r =>
        [
          [
            `Propagation, ${r.nodes} nodes`,
            `p50 ${r.propagation.visibleOnAllMs.p50} ms, p99 ${r.propagation.visibleOnAllMs.p99} ms`,
            'p99 ≤ 1000 ms at 59'
          ],
          [
            `Federated search, ${r.nodes} nodes`,
            `p50 ${r.federatedSearchMs.p50} ms, p99 ${r.federatedSearchMs.p99} ms`,
            'p99 ≤ 300 ms at 59'
          ],
          [
            `Gossip wire bytes per delivered entry, ${r.nodes} nodes`,
            `${r.gossipWire.bytesPerDeliveredEntry} B (entry ${r.gossipWire.entryBytes} B)`,
            `≤ 1.2× → ${r.gossipWire.ratio}×`
          ],
          [
            `Idle node, ${r.nodes} nodes`,
            `RSS ${r.idleNode.rssMb} MB, CPU ${r.idleNode.cpuPercent} %, start-up p50 ${r.startupMs.p50} ms`,
            'RSS ≤ 80 MB'
          ]
        ] as Array<[string, string, string]>
    )
  ]
  const w = Math.max(...rows.map(r => r[0].length))
  console.log(`\n${'measure'.padEnd(w)} | ${'result'.padEnd(58)} | goal`)
  console.log(`${'-'.repeat(w)}-+-${'-'.repeat(58)}-+-----`)
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w)} | ${b.padEnd(58)} | ${c}`)
  console.log(`\nwrote ${join(OUT, 'results.json')} and results.svg`)
  return regions.some(r => r.error !== undefined)
}

main().then(
  failed => {
    // Keep the logs when something could not be measured.
    if (failed) console.error(`[bench] logs kept in ${root}`)
    else rmSync(root, { recursive: true, force: true })
  },
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack}\n[bench] logs kept in ${root}`)
    process.exitCode = 1
  }
)
