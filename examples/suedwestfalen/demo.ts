import '@swf/protocol/polyfills'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { slugify } from '@swf/protocol'
import {
  api,
  approveAll,
  ensureNode,
  ensureRegistry,
  startNodeProcess,
  startRegistryProcess,
  stopAll,
  type NodeHandle
} from './launcher.js'
import { REGION, USE_CASES } from './region.js'
import type { DataQueryAnswer, RegionalDataset, SearchAnswer, StatusAnswer, UseCaseListAnswer } from '@swf/node/http/response-schemas'

// `npm run demo`: the Südwestfalen region on one machine — a registry and
// seven Kommunen as separate processes on 127.0.0.1. A second run reuses
// the data in ./demo-data. Ctrl-C stops everything.

const dir = resolve(process.env.SWF_DEMO_DIR ?? 'demo-data')
const base = Number(process.env.SWF_DEMO_PORT_BASE ?? 8100)
const DATA = fileURLToPath(new URL('./data/', import.meta.url))
const say = (line: string): void => {
  console.log(line)
}

const children: Parameters<typeof stopAll>[0] = []
let stopping = false
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    say('\nStopping the region …')
    await stopAll(children)
    say('All processes stopped.')
  }
  process.exit(code)
}
process.on('SIGINT', () => {
  void shutdown(0)
})
process.on('SIGTERM', () => {
  void shutdown(0)
})

async function main(): Promise<void> {
  mkdirSync(join(dir, 'logs'), { recursive: true })
  say(`Südwestfalen demo region in ${dir} (logs in ${join(dir, 'logs')})`)
  const registry = await ensureRegistry(join(dir, 'registry'), base)
  children.push((registry.process = await startRegistryProcess(registry, join(dir, 'logs', 'registry.log'))))
  say(`  registry        ${registry.url}`)

  const nodes: NodeHandle[] = []
  for (const [i, k] of REGION.entries()) {
    nodes.push(
      await ensureNode({
        name: k.name,
        ags: k.ags,
        dataDir: join(dir, slugify(k.name)),
        httpPort: base + 1 + i,
        p2pPort: base + 101 + i,
        registry
      })
    )
  }
  await Promise.all(
    nodes.map(async n => {
      n.process = await startNodeProcess(n, join(dir, 'logs', `${slugify(n.name)}.log`))
      children.push(n.process)
      say(`  ${n.name.padEnd(26)} ${n.url}  (gestartet)`)
    })
  )
  await approveAll(registry, nodes)
  say('All Kommunen registered and approved.')

  for (const [i, k] of REGION.entries()) {
    const n = nodes[i]!
    for (const d of k.datasets) {
      const exists = await api(n, `/api/v1/datasets/${d.metadata.id}`).then(
        () => true,
        () => false
      )
      if (exists) continue
      await api(n, '/api/v1/datasets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(d.metadata)
      })
      for (const f of d.files) {
        await api(n, `/api/v1/datasets/${d.metadata.id}/distributions/${f.distributionId}?title=${encodeURIComponent(f.title)}`, {
          method: 'PUT',
          headers: { 'content-type': f.mediaType },
          body: readFileSync(join(DATA, f.file))
        })
      }
      say(`  ${n.name} published "${d.metadata.title}"`)
    }
  }

  // Use cases: the originals, then the take-overs (once the taking node holds the original).
  const peerOfAgs = new Map(nodes.map(n => [n.ags, n.peerId]))
  for (const { ags, useCase } of USE_CASES) {
    const n = nodes.find(x => x.ags === ags)!
    const exists = await api(n, `/api/v1/use-cases/${n.peerId}/${useCase.id}`).then(
      () => true,
      () => false
    )
    if (exists) continue
    const { takesOver, datasets, ...rest } = useCase
    if (takesOver !== undefined) {
      const original = `/api/v1/use-cases/${peerOfAgs.get(takesOver.ags)}/${takesOver.useCaseId}`
      while (
        !(await api(n, original).then(
          () => true,
          () => false
        ))
      )
        await new Promise(r => setTimeout(r, 200))
    }
    await api(n, '/api/v1/use-cases', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...rest,
        datasets: datasets.map(d => ({ role: d.role, publisher: peerOfAgs.get(d.ags), datasetId: d.datasetId })),
        ...(takesOver === undefined ? {} : { takesOver: { publisher: peerOfAgs.get(takesOver.ags), useCaseId: takesOver.useCaseId } })
      })
    })
    say(`  ${n.name} published the use case "${useCase.title}"`)
  }

  // Converged: every node holds every Kommune's entries, with no gaps.
  const own = await Promise.all(nodes.map(async n => (await api<StatusAnswer>(n, '/api/v1/status')).ownEntries))
  const total = own.reduce((a, b) => a + b, 0)
  for (let last = ''; ;) {
    const states = await Promise.all(nodes.map(async n => api<StatusAnswer>(n, '/api/v1/status')))
    const done = states.filter(s => s.regionalEntries >= total && s.sync.every(p => p.lag === 0)).length
    const line = `Sync: ${done}/${nodes.length} nodes hold all ${total} entries`
    if (line !== last) {
      say(line)
      last = line
    }
    if (done === nodes.length) break
    await new Promise(r => setTimeout(r, 300))
  }

  const [arnsberg, , menden, olpe, soest, iserlohn] = nodes as [
    NodeHandle,
    NodeHandle,
    NodeHandle,
    NodeHandle,
    NodeHandle,
    NodeHandle,
    NodeHandle
  ]
  say(`\n1) Catalog search at ${olpe.name} for "Radweg":`)
  for (const hit of (await api<SearchAnswer>(olpe, '/api/v1/search?q=Radweg')).items)
    say(`   ${hit.provenance.kommune}: ${hit.dataset.title}`)

  say(`\n2) Federated data query at ${menden.name}: road damage "Schlagloch" inside Soest's box, across all Kommunen:`)
  const q = await api<DataQueryAnswer>(menden, '/api/v1/query?bbox=8.05,51.54,8.17,51.6&where=schadensart%3DSchlagloch')
  for (const m of q.matches) {
    const fields = (m.row ?? m.feature?.properties ?? {}) as Record<string, unknown>
    say(`   ${m.origin.kommune} · ${m.origin.datasetId}/${m.origin.distributionId} · ${String(fields.strasse)}`)
  }
  say(`   nodes: ${q.nodes.map(n => `${n.kommune} ${n.status}`).join(', ')}`)

  say(`\n3) Download of Soest's survey through ${iserlohn.name} (fetched over libp2p, sha256-verified):`)
  const view = await api<RegionalDataset>(iserlohn, `/api/v1/catalog/${soest.peerId}/strassenzustand`)
  const dist = view.dataset.distributions[0]!
  const bytes = Buffer.from(
    await (await fetch(`${iserlohn.url}/api/v1/catalog/${soest.peerId}/strassenzustand/distributions/${dist.id}/file`)).arrayBuffer()
  )
  const ok = createHash('sha256').update(bytes).digest('hex') === dist.sha256
  say(`   ${dist.title}: ${bytes.length} bytes, sha256 ${ok ? 'matches the signed entry' : 'DOES NOT MATCH'}`)

  say(`\n4) Use cases, as ${olpe.name} sees them:`)
  for (const u of (await api<UseCaseListAnswer>(olpe, '/api/v1/use-cases?takeOvers=false')).items) {
    const runs = [u.kommune, ...u.takenOverBy.map(t => t.kommune)].join(', ')
    say(`   ${u.kommune}: ${u.useCase.title} · used by ${runs}`)
  }

  say('\nWeb UI of every Kommune:')
  for (const n of nodes) say(`   ${n.name.padEnd(26)} ${n.url}/`)
  say(`   (Arnsberg's admin token: ${arnsberg.token})`)
  say('\nDemo region ready. Ctrl-C stops it.')
  if (process.env.SWF_DEMO_EXIT === '1') await shutdown(ok ? 0 : 1)
}

main().catch(async (err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`)
  await shutdown(1)
})
