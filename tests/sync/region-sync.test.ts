import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CATALOG_TOPIC, EntryVerifier } from '@swf/protocol'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

const KOMMUNEN: Array<[string, string]> = [
  ['Stadt Arnsberg', '05958004'],
  ['Stadt Bad Berleburg', '05970004'],
  ['Stadt Menden (Sauerland)', '05962040'],
  ['Stadt Olpe', '05966024'],
  ['Stadt Soest', '05974040']
]

describe('registry + 5 nodes', () => {
  const region = new TestRegion()
  let nodes: RegionNode[]

  beforeAll(async () => {
    await region.startRegistry()
    nodes = []
    // Anti-entropy slowed down so that what arrives here arrived by push (gossip).
    for (const [name, ags] of KOMMUNEN) nodes.push(await region.addNode(name, ags, { sync: { antiEntropyMs: 60_000 } }))
    await waitFor(() => nodes.every(n => n.node.network!.host.getPeers().length === nodes.length - 1), 'full mesh')
    // Connected is not yet subscribed: until the subscriptions are exchanged a
    // publish reaches a peer only by relay or pull, not by direct gossip.
    await waitFor(
      () => nodes.every(n => n.node.network!.host.services.pubsub.getSubscribers(CATALOG_TOPIC).length === nodes.length - 1),
      'all subscribed'
    )
  })
  afterAll(async () => {
    await region.close()
  })

  it('a dataset published on one node appears, signature-verified, on all others', async () => {
    const soest = nodes[4]!
    const { entry } = await region.publish(
      soest,
      sampleDataset({ id: 'strassenschaeden-2026', title: 'Straßenschäden 2026', spatial: { ags: '05974040' } })
    )
    for (const n of nodes) {
      await waitFor(() => region.datasetIds(n, soest.node.peerId).includes('strassenschaeden-2026'), `dataset on ${n.name}`)
      const view = await n.api(`/api/v1/catalog/${soest.node.peerId}/strassenschaeden-2026`)
      expect(view.entry.hash).toBe(entry.hash)
      expect(view.publisher.kommune).toBe('Stadt Soest')
      const row = n.node.db.$client.prepare('SELECT jws FROM entries WHERE hash = ?').get(entry.hash) as { jws: string }
      const verified = await new EntryVerifier().verify(row.jws)
      expect(verified.payload.publisher).toBe(soest.node.peerId)
    }
    const peers = await nodes[0]!.api('/api/v1/peers')
    expect(peers.peers.filter((p: any) => p.connected)).toHaveLength(4)
    expect(peers.peers.map((p: any) => p.kommune).sort()).toEqual(
      KOMMUNEN.slice(1)
        .map(k => k[0])
        .sort()
    )
    const status = await nodes[0]!.api('/api/v1/status')
    expect(status.regionalEntries).toBe(1)
    expect(status.registry.listSerial).toBeGreaterThanOrEqual(5)
  })

  it('exposes Prometheus metrics: entries per publisher, peers, sync lag, gossip results, HTTP latency', async () => {
    const res = await fetch(`${nodes[0]!.node.url}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const text = await res.text()
    expect(text).toMatch(new RegExp(`swf_entries\\{publisher="${nodes[4]!.node.peerId}",kommune="Stadt Soest"\\} 1`))
    expect(text).toMatch(/swf_connected_peers 4/)
    expect(text).toMatch(/swf_sync_lag_entries\{publisher="[^"]+",kommune="Stadt Soest"\} 0/)
    expect(text).toMatch(/swf_gossip_messages_total\{result="accepted"\} [1-9]/)
    // The request is counted (how fast it was is the benchmark's business, not a test's).
    expect(text).toMatch(/swf_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/status",status="200"\} [1-9]/)
    expect(text).toMatch(/swf_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/api\/v1\/status",status="200"\} [1-9]/)
    expect(text).toMatch(/swf_process_resident_memory_bytes \d+/)
    // Prometheus's own linter: no gauge named *_total, counters with it, help and types everywhere.
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(lint.error, 'promtool (Debian package prometheus; .ci/run installs it)').toBeUndefined()
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('')
    expect(lint.status).toBe(0)
  })
})

describe('a node offline while others publish and delete', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('catches up completely after restart', async () => {
    await region.startRegistry()
    const a = await region.addNode('Stadt Arnsberg', '05958004')
    const b = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    const c = await region.addNode('Stadt Olpe', '05966024')
    await region.publish(a, sampleDataset({ id: 'vorher', title: 'Vorher' }))
    await waitFor(() => region.datasetIds(c).includes('vorher'), 'initial sync to Olpe')

    await c.stop()
    for (let i = 0; i < 20; i++)
      await region.publish(i % 2 === 0 ? a : b, sampleDataset({ id: `offline-${i}`, title: `Während Olpe offline war ${i}` }))
    await a.api('/api/v1/datasets/vorher', { method: 'DELETE' })
    await b.api('/api/v1/datasets/offline-1', {
      method: 'PUT',
      body: JSON.stringify(sampleDataset({ id: 'offline-1', title: 'Geändert' }))
    })

    await c.start()
    await waitFor(() => region.contentHash(c).hash === region.contentHash(a).hash, 'Olpe caught up')
    expect(region.contentHash(c).count).toBe(1 + 20 + 1 + 1)
    expect(region.datasetIds(c)).not.toContain('vorher')
    expect(region.datasetIds(c)).toHaveLength(20)
    expect((await c.api(`/api/v1/catalog/${b.node.peerId}/offline-1`)).dataset.title).toBe('Geändert')
    const status = await c.api('/api/v1/status')
    expect(status.sync.every((s: any) => s.lag === 0)).toBe(true)
  })
})

describe('line topology A–B–C', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it("C receives A's entries relayed by B, never connecting to A", async () => {
    await region.startRegistry()
    const line = { dialRegistered: false }
    const a = await region.addNode('Stadt Arnsberg', '05958004', { p2p: line })
    const c = await region.addNode('Stadt Soest', '05974040', { p2p: line })
    const bootstrap = [...a.node.network!.addresses(), ...c.node.network!.addresses()]
    const b = await region.addNode('Stadt Menden (Sauerland)', '05962040', { p2p: { ...line, bootstrap } })
    await waitFor(() => b.node.network!.host.getPeers().length === 2, 'B connected to A and C')

    // Published before and while the line exists: pull and gossip both relay through B.
    await region.publish(a, sampleDataset({ id: 'radwege', title: 'Radwege' }))
    await waitFor(() => region.datasetIds(c, a.node.peerId).includes('radwege'), 'relayed to C')
    for (let i = 0; i < 5; i++) await region.publish(a, sampleDataset({ id: `weg-${i}`, title: `Weg ${i}` }))
    await waitFor(() => region.datasetIds(c, a.node.peerId).length === 6, 'all relayed to C')

    // With A offline its entries stay in the catalog and still reach a node that asks B.
    await a.stop()
    await region.publish(c, sampleDataset({ id: 'von-c', title: 'Von C' }))
    await waitFor(() => region.datasetIds(b, c.node.peerId).includes('von-c'), 'C to B')
    const cPeers = c.node.network!.host.getPeers().map(String)
    expect(cPeers).not.toContain(a.node.peerId)
    expect(region.contentHash(c).hash).toBe(region.contentHash(b).hash)
    expect(region.datasetIds(c, a.node.peerId)).toHaveLength(6)
  })
})

describe('bounded peer set', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('with targetPeers 2 no node dials more than 5 peers (2 + at most 3 ring successors), and 7 nodes still converge', async () => {
    await region.startRegistry()
    const ags = ['05958004', '05970004', '05962040', '05966024', '05974040', '05962024', '05962052']
    const nodes: RegionNode[] = []
    for (const [i, a] of ags.entries()) nodes.push(await region.addNode(`Kommune ${i}`, a, { p2p: { targetPeers: 2 } }))
    await waitFor(() => nodes.every(n => n.node.network!.host.getPeers().length >= 2), 'every node has 2 peers')
    for (const n of nodes) {
      const outbound = n.node.network!.host.getConnections().filter(c => c.direction === 'outbound' && c.status === 'open')
      // Ring successors whose dial failed (slow under load) are retried next to the next one: at most 3 of them.
      expect(new Set(outbound.map(c => c.remotePeer.toString())).size).toBeLessThanOrEqual(2 + 3)
    }
    expect(nodes.some(n => n.node.network!.host.getPeers().length < nodes.length - 1)).toBe(true)
    for (const [i, n] of nodes.entries()) await region.publish(n, sampleDataset({ id: `bounded-${i}`, title: `Bounded ${i}` }))
    await waitFor(() => nodes.every(n => region.contentHash(n).count === nodes.length), 'converged')
    const hashes = new Set(nodes.map(n => region.contentHash(n).hash))
    expect(hashes.size).toBe(1)
  })
})
