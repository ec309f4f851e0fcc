import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EntryVerifier } from '../../protocol/src/index.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

const KOMMUNEN: Array<[string, string]> = [
  ['Stadt Arnsberg', '05958004'], ['Stadt Bad Berleburg', '05970004'], ['Stadt Menden (Sauerland)', '05962040'],
  ['Stadt Olpe', '05966024'], ['Stadt Soest', '05974040']
]

describe('registry + 5 nodes', () => {
  const region = new TestRegion()
  let nodes: RegionNode[]

  beforeAll(async () => {
    await region.startRegistry()
    nodes = []
    for (const [name, ags] of KOMMUNEN) nodes.push(await region.addNode(name, ags))
    await waitFor(() => nodes.every(n => n.node.network!.host.getPeers().length === nodes.length - 1), 'full mesh')
  })
  afterAll(async () => { await region.close() })

  it('a dataset published on one node appears, signature-verified, on all others', async () => {
    const soest = nodes[4]!
    const { entry } = await region.publish(soest, sampleDataset({ id: 'strassenschaeden-2026', title: 'Straßenschäden 2026', spatial: { ags: '05974040' } }))
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
    expect(peers.peers.map((p: any) => p.kommune).sort()).toEqual(KOMMUNEN.slice(1).map(k => k[0]).sort())
    const status = await nodes[0]!.api('/api/v1/status')
    expect(status.regionalEntries).toBe(1)
    expect(status.registry.listSerial).toBeGreaterThanOrEqual(5)
  })
})
