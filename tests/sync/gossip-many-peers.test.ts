import { afterAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// Regression: gossipsub's IP colocation score put more than ~13 peers behind
// one address below the graylist threshold, and gossip silently stopped —
// Kommunen hosted in one data centre share an address just like these do.
describe('16 nodes on one IP address', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('receive every entry by gossip alone (anti-entropy off)', async () => {
    await region.startRegistry()
    const nodes: RegionNode[] = []
    for (let i = 0; i < 16; i++) {
      nodes.push(
        await region.addNode(`Kommune ${i}`, `0597${String(i).padStart(4, '0')}`, {
          p2p: { targetPeers: 100 },
          sync: { antiEntropyMs: 3_600_000 }
        })
      )
    }
    await waitFor(() => nodes.every(n => n.node.network!.host.getPeers().length === 15), 'full mesh', 30_000)
    await waitFor(
      () => nodes.every(n => n.node.network!.host.services.pubsub.getSubscribers('swf/catalog/1').length === 15),
      'all subscribed',
      30_000
    )
    for (let i = 0; i < 10; i++) await region.publish(nodes[(i * 7) % 16]!, sampleDataset({ id: `gossip-${i}`, title: `Gossip ${i}` }))
    await waitFor(() => nodes.every(n => region.contentHash(n).count === 10), 'every entry everywhere', 20_000)
    const received = nodes.reduce((sum, n) => sum + n.node.network!.replication.gossip.counters.accepted, 0)
    expect(received).toBe(10 * 15)
    expect(nodes.every(n => n.node.network!.replication.sync.progress().length === 0)).toBe(true)
  })
})
