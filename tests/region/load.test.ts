import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishBulk } from '../helpers/bulk.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import { SEVEN_KOMMUNEN, TestRegion, waitFor } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

// Latency under load is measured by `npm run bench` (100,000 entries); here
// the claim is correctness under load: no errors, nothing lost.

describe('200 concurrent search clients for 30 s', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode()
    await publishBulk(t.node, 20_000)
  }, 120_000)
  afterAll(async () => {
    await t.cleanup()
  })

  it('answers every request, with a valid result', async () => {
    const queries = [
      'q=Datensatz',
      'q=Radweg&theme=TRAN',
      'theme=TRAN',
      'q=Messwerten%20Standorten',
      'bbox=7.9,51.3,8.2,51.5',
      'keyword=Radweg',
      '',
      'q=Beschreibung&limit=50',
      'license=dl-by-de/2.0',
      'q=nichtvorhanden'
    ]
    const end = Date.now() + 30_000
    let requests = 0
    const errors: string[] = []
    await Promise.all(
      Array.from({ length: 200 }, async (_, c) => {
        for (let i = c; Date.now() < end; i++) {
          try {
            const res = await fetch(`${t.node.url}/api/v1/search?${queries[i % queries.length]}`)
            const body = (await res.json()) as { total?: unknown; items?: unknown }
            if (res.status !== 200 || typeof body.total !== 'number' || !Array.isArray(body.items))
              errors.push(`${res.status} ${JSON.stringify(body).slice(0, 200)}`)
          } catch (err) {
            errors.push(String(err))
          }
          requests++
        }
      })
    )
    expect(errors.slice(0, 5)).toEqual([])
    expect(requests).toBeGreaterThan(200)
    tally('search requests under 200 concurrent clients (0 errors)', requests)
  }, 120_000)
})

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
