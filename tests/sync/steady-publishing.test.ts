import { afterAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { SEVEN_KOMMUNEN, TestRegion, waitFor } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

// Steady publishing is paced by the clock, not by the CPU: it runs beside
// other test files (tests/region/load.test.ts keeps the CPU-bound load).

describe('10 publications per second for 2 minutes across 7 nodes', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('converges with nothing lost', async () => {
    await region.startRegistry()
    const nodes = await region.addFullMesh(SEVEN_KOMMUNEN, { sync: { antiEntropyMs: 5_000 } })
    const started = Date.now()
    let published = 0
    // A steady 10/s: each publication is scheduled on the clock, not after the previous one.
    for (let i = 0; i < 1_200; i++) {
      const due = started + i * 100
      if (due > Date.now()) await new Promise(r => setTimeout(r, due - Date.now()))
      await region.publish(nodes[i % 7]!, sampleDataset({ id: `last-${i}`, title: `Lastmessung ${i}` }))
      published++
    }
    await waitFor(() => nodes.every(n => region.contentHash(n).count === published), 'every publication on every node', 60_000, 250)
    expect(new Set(nodes.map(n => region.contentHash(n).hash)).size).toBe(1)
    for (const n of nodes) expect((await n.api('/api/v1/status')).sync.every((s: { lag: number }) => s.lag === 0)).toBe(true)
    tally('publications at 10/s across 7 nodes, all converged', published)
  }, 300_000)
})
