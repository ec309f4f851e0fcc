import '@swf/protocol/polyfills'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import pino from 'pino'
import {
  CATALOG_TOPIC,
  EntrySigner,
  datasetMetadataSchema,
  decodeGossipEntry,
  generateIdentityKey,
  publicJwkOfPeerId,
  sha256Hex,
  type Participant
} from '@swf/protocol'
import { parseConfig } from '@swf/node/config'
import { closeDatabase, openDatabase, type NodeDb } from '@swf/node/db/open'
import { createHost, type Host } from '@swf/node/p2p/host'
import { Dialer, type DialTarget } from '@swf/node/p2p/dialer'
import { PeerGuard } from '@swf/node/p2p/peer-guard'
import { PeerTracker } from '@swf/node/p2p/peer-tracker'
import { Replication } from '@swf/node/replication/index'
import { EntryStore } from '@swf/node/services/entry-store'
import { cpuSecondsOf, loopbackBytes, percentile, round } from './measure.js'

// North Rhine-Westphalia's 396 Kommunen in one process: the node's own libp2p
// host (TCP on 127.0.0.1, noise, yamux, gossipsub as configured), dialer, and
// replication (acceptor, gossip, sync, anti-entropy) over an SQLite file each —
// everything of a node but HTTP, the registry and the search index.
// SIM_NODES=396 SIM_PUBLICATIONS=50; prints one JSON object on stdout.

const N = Number(process.env.SIM_NODES ?? 396)
const PUBLICATIONS = Number(process.env.SIM_PUBLICATIONS ?? 50)
const IDLE_SECONDS = Number(process.env.SIM_IDLE_SECONDS ?? 10)
const CHURN = 0.1
/** Entries published while the churned tenth is away: fewer than a signature-pool batch. */
const PUBLICATIONS_DURING_CHURN = 20
const ANTI_ENTROPY_MS = 15_000
/** A region that has not connected by then will not: its connections flap (see docs/PERFORMANCE.md). */
const CONNECT_TIMEOUT_MS = 180_000
const log = pino({ level: 'silent' })
const say = (s: string): void => {
  console.error(`[simulate] ${s}`)
}
const sleep = async (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))
const config = parseConfig({ kommune: { name: 'Simulation', ags: '05958004' } })
const root = mkdtempSync(join(tmpdir(), 'swf-simulate-'))

interface SimNode {
  i: number
  peerId: string
  signer: EntrySigner
  key: Awaited<ReturnType<typeof generateIdentityKey>>
  db: NodeDb
  store: EntryStore
  host?: Host
  replication?: Replication
  dialer?: Dialer
  addrs: string[]
  /** Per entry hash: when this node first had it, and through how many hops. */
  seen: Map<string, { at: number; hops: number }>
  dialTimer?: NodeJS.Timeout
}

const participants = new Map<string, Participant>()
const nodes: SimNode[] = []
const online = new Set<SimNode>()
const byPeer = new Map<string, SimNode>()

async function startNode(n: SimNode): Promise<void> {
  const guard = new PeerGuard(config.p2p.limits, log)
  const tracker = new PeerTracker()
  const isAllowed = (peer: string): boolean => participants.has(peer) && !guard.isBanned(peer)
  const host = await createHost({
    key: n.key,
    p2p: { ...config.p2p, listen: ['/ip4/127.0.0.1/tcp/0'], inboundConnectionThreshold: 10_000 },
    isAllowed
  })
  const directory = {
    get: (peer: string) => participants.get(peer),
    isActive: (peer: string) => participants.has(peer),
    isPublisher: (peer: string) => participants.has(peer)
  }
  const replication = new Replication(
    { host, store: n.store, directory, isAllowed, guard, tracker, log },
    { self: n.peerId, limits: { ...config.quota, maxClockSkewMs: config.sync.maxClockSkewMs }, antiEntropyMs: ANTI_ENTROPY_MS }
  )
  host.addEventListener('peer:connect', evt => {
    tracker.connected(evt.detail.toString())
  })
  host.addEventListener('peer:disconnect', evt => {
    tracker.disconnected(evt.detail.toString())
  })
  // Hops: one more than the peer that delivered the message first (it had it before).
  host.services.pubsub.addEventListener('gossipsub:message', evt => {
    const { propagationSource, msg } = evt.detail
    if (msg.topic !== CATALOG_TOPIC) return
    const hash = sha256Hex(decodeGossipEntry(msg.data))
    const from = byPeer.get(propagationSource.toString())?.seen.get(hash)
    if (!n.seen.has(hash)) n.seen.set(hash, { at: performance.now(), hops: (from?.hops ?? 0) + 1 })
  })
  await replication.start()
  n.host = host
  n.replication = replication
  n.dialer = new Dialer(host, config.p2p.targetPeers, log)
  n.addrs = host.getMultiaddrs().map(String)
  participants.set(n.peerId, { ...participants.get(n.peerId)!, addresses: n.addrs })
  online.add(n)
}

async function stopNode(n: SimNode): Promise<void> {
  online.delete(n)
  clearTimeout(n.dialTimer) // the first round's timeout or the interval after it: Node clears either
  await n.replication?.stop()
  await n.host?.stop()
  n.host = undefined
  n.replication = undefined
}

/** One dial round of a node, by the node's own rule (Dialer.round: target peers plus ring successors). */
function dialRound(n: SimNode): void {
  if (!online.has(n)) return
  const targets: DialTarget[] = [...online].filter(o => o !== n).map(o => ({ peerId: peerIdFromString(o.peerId), addrs: o.addrs }))
  n.dialer!.round(n.peerId, targets)
}

/**
 * Every node dials on its own timer (config sync.redialMs), started at a random
 * phase as real nodes are: rounds of all 396 at one instant are a dial storm
 * in which no noise handshake completes on one thread.
 */
function startDialing(n: SimNode): void {
  const first = setTimeout(() => {
    dialRound(n)
    n.dialTimer = setInterval(() => {
      dialRound(n)
    }, config.sync.redialMs)
  }, Math.random() * config.sync.redialMs)
  n.dialTimer = first
}

async function waitUntil(check: () => boolean, what: string, timeoutMs: number, progress?: () => string): Promise<number> {
  const t0 = performance.now()
  let said = t0
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}${progress ? ` (${progress()})` : ''}`)
    if (progress !== undefined && performance.now() - said > 10_000) {
      said = performance.now()
      say(`  ${what}: ${progress()}`)
    }
    await sleep(200)
  }
  return performance.now() - t0
}

let seq = 0
async function publish(n: SimNode): Promise<string> {
  const head = n.store.headOf(n.peerId)
  const id = `messung-${seq++}`
  const entry = await n.signer.sign({
    v: 1,
    publisher: n.peerId,
    datasetId: id,
    seq: head.seq + 1,
    prevHash: head.hash,
    issuedAt: new Date().toISOString(),
    tombstone: false,
    dataset: datasetMetadataSchema.parse({
      id,
      title: `Messreihe ${seq}`,
      description: `Simulierter Datensatz ${seq} mit Messwerten einer Kommune in Nordrhein-Westfalen.`,
      license: 'dl-by-de/2.0',
      keywords: ['Messung'],
      themes: ['ENVI']
    })
  })
  n.store.store([entry])
  n.seen.set(entry.hash, { at: performance.now(), hops: 0 })
  n.replication!.publish(entry)
  return entry.hash
}

/** Propagation of the given entries to the given nodes: time until the last one had each, and hops. */
function propagation(hashes: string[], among: SimNode[]): Record<string, unknown> {
  const lastMs: number[] = []
  const perNodeMs: number[] = []
  const hops: number[] = []
  let missing = 0
  for (const h of hashes) {
    const origin = nodes.find(n => n.seen.get(h)?.hops === 0)!
    const t0 = origin.seen.get(h)!.at
    let last = 0
    for (const n of among) {
      if (n === origin) continue
      const s = n.seen.get(h)
      if (s === undefined) {
        missing++
        continue
      }
      perNodeMs.push(s.at - t0)
      hops.push(s.hops)
      last = Math.max(last, s.at - t0)
    }
    lastMs.push(last)
  }
  return {
    visibleOnAllMs: { p50: round(percentile(lastMs, 50), 0), p99: round(percentile(lastMs, 99), 0) },
    perNodeMs: { p50: round(percentile(perNodeMs, 50), 0), p99: round(percentile(perNodeMs, 99), 0) },
    hops: { p50: percentile(hops, 50), p99: percentile(hops, 99), max: Math.max(...hops) },
    /** Deliveries by gossip that never came (a pull delivered them later, or not yet). */
    notByGossip: missing
  }
}

async function main(): Promise<void> {
  say(`${N} nodes: keys and stores`)
  for (let i = 0; i < N; i++) {
    const key = await generateIdentityKey()
    const signer = await EntrySigner.create(key)
    const db = openDatabase(join(root, `n${i}.sqlite`))
    const n: SimNode = { i, peerId: signer.peerId, signer, key, db, store: new EntryStore(db), addrs: [], seen: new Map() }
    nodes.push(n)
    byPeer.set(n.peerId, n)
    const now = new Date().toISOString()
    participants.set(n.peerId, {
      id: `k${i}`,
      kommune: `Kommune ${i + 1}`,
      ags: `05${String(i).padStart(6, '0')}`,
      peerId: n.peerId,
      publicKeyJwk: publicJwkOfPeerId(n.peerId),
      addresses: [],
      status: 'active',
      createdAt: now,
      updatedAt: now
    })
  }
  const tStart = performance.now()
  for (const n of nodes) await startNode(n)
  say(`hosts started in ${round((performance.now() - tStart) / 1000, 1)} s; connecting`)
  for (const n of nodes) startDialing(n)
  const connectMs = await waitUntil(
    () => nodes.every(n => n.host!.getPeers().length >= 3),
    'every node has 3 peers',
    CONNECT_TIMEOUT_MS,
    () => `${nodes.filter(n => n.host!.getPeers().length >= 3).length} of ${N} have 3 peers`
  )
  await sleep(5_000) // gossipsub meshes form over a few heartbeats
  const degree = nodes.map(n => n.host!.getPeers().length)
  say(`connected after ${round(connectMs / 1000, 1)} s; peers per node p50 ${percentile(degree, 50)}, max ${Math.max(...degree)}`)

  // Idle: CPU of the whole process, per node.
  const cpu0 = cpuSecondsOf(process.pid)
  const bytesIdle0 = loopbackBytes()
  await sleep(IDLE_SECONDS * 1000)
  const idleCpuPerNode = ((cpuSecondsOf(process.pid) - cpu0) / IDLE_SECONDS / N) * 100
  const idleBytesPerSecond = (loopbackBytes() - bytesIdle0) / IDLE_SECONDS

  // Propagation: PUBLICATIONS entries from random nodes, 200 ms apart.
  say(`publishing ${PUBLICATIONS} entries`)
  const bytes0 = loopbackBytes()
  const t0 = performance.now()
  const hashes: string[] = []
  for (let i = 0; i < PUBLICATIONS; i++) {
    hashes.push(await publish(nodes[Math.floor(Math.random() * N)]!))
    await sleep(200)
  }
  const everywhereMs = await waitUntil(
    () => nodes.every(n => n.store.countEntries() >= PUBLICATIONS),
    'every entry everywhere',
    300_000,
    () => `${nodes.filter(n => n.store.countEntries() >= PUBLICATIONS).length} of ${N}`
  )
  const seconds = (performance.now() - t0) / 1000
  const entryBytes =
    hashes.length === 0 ? 0 : nodes.flatMap(n => hashes.map(h => n.store.entryByHash(h)?.jws.length ?? 0)).find(b => b > 0)!
  const wire = loopbackBytes() - bytes0 - idleBytesPerSecond * seconds
  const spread = propagation(hashes, nodes)
  say(`propagation: ${JSON.stringify(spread)}; all held ${round(everywhereMs / 1000, 1)} s after the last publication`)

  // Churn: a tenth goes away, entries are published meanwhile, they come back and catch up.
  const away = [...nodes].sort(() => Math.random() - 0.5).slice(0, Math.round(N * CHURN))
  say(`churn: stopping ${away.length} nodes`)
  await Promise.all(away.map(stopNode))
  const during: string[] = []
  const stayed = nodes.filter(n => !away.includes(n))
  for (let i = 0; i < PUBLICATIONS_DURING_CHURN; i++) {
    during.push(await publish(stayed[Math.floor(Math.random() * stayed.length)]!))
    await sleep(200)
  }
  const total = PUBLICATIONS + PUBLICATIONS_DURING_CHURN
  await waitUntil(() => stayed.every(n => n.store.countEntries() >= total), 'entries among the nodes that stayed', 300_000)
  const tBack = performance.now()
  for (const n of away) {
    await startNode(n)
    startDialing(n)
  }
  const convergedMs = await waitUntil(
    () => nodes.every(n => n.store.countEntries() >= total),
    'convergence after churn',
    600_000,
    () => `${nodes.filter(n => n.store.countEntries() >= total).length} of ${N}`
  )
  say(`churn: every node holds all ${total} entries ${round(convergedMs / 1000, 1)} s after the ${away.length} came back`)

  console.log(
    JSON.stringify({
      nodes: N,
      startupSeconds: round((performance.now() - tStart) / 1000, 1),
      connectSeconds: round(connectMs / 1000, 1),
      peersPerNode: { p50: percentile(degree, 50), max: Math.max(...degree) },
      idle: { cpuPercentPerNode: round(idleCpuPerNode, 3), loopbackBytesPerSecondPerNode: round(idleBytesPerSecond / N, 0) },
      propagation: { publications: PUBLICATIONS, ...spread, allHeldSecondsAfterLastPublication: round(everywhereMs / 1000, 1) },
      gossipWire: {
        entryBytes,
        bytesPerDeliveredEntry: round(wire / (PUBLICATIONS * (N - 1)), 0),
        ratio: round(wire / (PUBLICATIONS * (N - 1)) / entryBytes, 2),
        bytesPerNodePerEntry: round(wire / PUBLICATIONS / N, 0)
      },
      churn: {
        away: away.length,
        publishedMeanwhile: PUBLICATIONS_DURING_CHURN,
        convergedSeconds: round(convergedMs / 1000, 1),
        sinceBackSeconds: round((performance.now() - tBack) / 1000, 1)
      }
    })
  )
  await Promise.all([...online].map(stopNode))
  for (const n of nodes) closeDatabase(n.db)
}

main()
  .catch((err: unknown) => {
    console.error(`simulation failed: ${(err as Error).stack}`)
    // The bench reads the last line of stdout: a failure is a result too.
    console.log(JSON.stringify({ nodes: N, error: (err as Error).message }))
    process.exitCode = 1
  })
  .finally(() => {
    rmSync(root, { recursive: true, force: true })
    // Hosts may still hold sockets after a failure.
    setTimeout(() => process.exit(), 1_000).unref()
  })
