import { afterAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { SEVEN_KOMMUNEN, TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

const HOUR = 3_600_000

/** Splits the region: every node refuses (bans) the nodes of the other side. */
function partition(left: RegionNode[], right: RegionNode[]): void {
  for (const a of left) for (const b of right) a.node.network!.guard.ban(b.node.peerId, HOUR, 'test partition')
  for (const b of right) for (const a of left) b.node.network!.guard.ban(a.node.peerId, HOUR, 'test partition')
}

function heal(nodes: RegionNode[]): void {
  for (const a of nodes) for (const b of nodes) a.node.network!.guard.unban(b.node.peerId)
}

describe('partitions', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('a 7-node region split 3 | 4 keeps working on both sides and converges after healing', async () => {
    await region.startRegistry()
    const nodes = await region.addFullMesh(SEVEN_KOMMUNEN)
    await region.publish(nodes[0]!, sampleDataset({ id: 'vor-der-teilung', title: 'Vor der Teilung' }))
    await waitFor(() => nodes.every(n => region.contentHash(n).count === 1), 'initial sync')

    const left = nodes.slice(0, 3)
    const right = nodes.slice(3)
    partition(left, right)
    await waitFor(() => left.every(a => right.every(b => !a.node.network!.isConnected(b.node.peerId))), 'sides disconnected')

    // Both sides publish, update and delete while apart.
    for (let i = 0; i < 5; i++) await region.publish(left[i % 3]!, sampleDataset({ id: `links-${i}`, title: `Links ${i}` }))
    for (let i = 0; i < 5; i++) await region.publish(right[i % 4]!, sampleDataset({ id: `rechts-${i}`, title: `Rechts ${i}` }))
    await left[0]!.api('/api/v1/datasets/vor-der-teilung', {
      method: 'PUT',
      body: JSON.stringify(sampleDataset({ id: 'vor-der-teilung', title: 'Geändert links' }))
    })
    await right[0]!.api('/api/v1/datasets/rechts-0', { method: 'DELETE' })
    await waitFor(
      () => left.every(n => region.contentHash(n).count === 1 + 5 + 1) && right.every(n => region.contentHash(n).count === 1 + 5 + 1),
      'each side converged on its own'
    )
    for (const n of left) expect(region.datasetIds(n).filter(id => id.startsWith('rechts'))).toEqual([])
    for (const n of right) expect(region.datasetIds(n).filter(id => id.startsWith('links'))).toEqual([])

    heal(nodes)
    await waitFor(
      () => new Set(nodes.map(n => region.contentHash(n).hash)).size === 1 && region.contentHash(nodes[0]!).count === 13,
      'converged after healing',
      30_000
    )
    for (const n of nodes) {
      expect(region.datasetIds(n)).toHaveLength(10) // 1 + 5 + 5 − 1 deleted
      expect((await n.api(`/api/v1/catalog/${left[0]!.node.peerId}/vor-der-teilung`)).dataset.title).toBe('Geändert links')
    }
    tally('network partitions healed', 1)
  })
})

describe('churn', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('nodes that restart again and again while others publish converge with nothing lost', async () => {
    await region.startRegistry()
    const nodes = await region.addFullMesh(SEVEN_KOMMUNEN.slice(0, 5))
    const [a, b, ...churning] = nodes as [RegionNode, RegionNode, ...RegionNode[]]
    let published = 0
    let restarts = 0
    let stop = false
    const publishing = (async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set below while this loop awaits
      for (let i = 0; !stop; i++) {
        await region.publish(i % 2 === 0 ? a : b, sampleDataset({ id: `churn-${i}`, title: `Während des Wechsels ${i}` }))
        published++
        await new Promise(r => setTimeout(r, 25))
      }
    })()
    for (let round = 0; round < 4; round++) {
      for (const n of churning) {
        await n.stop()
        await new Promise(r => setTimeout(r, 150))
        await n.start()
        restarts++
        // Churning nodes publish too, right after coming back.
        await region.publish(n, sampleDataset({ id: `zurueck-${round}`, title: `Zurück ${round}` }))
        published++
      }
    }
    stop = true
    await publishing
    await waitFor(() => new Set(nodes.map(n => region.contentHash(n).hash)).size === 1, 'converged after churn', 30_000)
    expect(region.contentHash(a).count).toBe(published)
    tally('node restarts during publishing (churn)', restarts)
  })
})
