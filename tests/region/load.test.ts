import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishBulk } from '../helpers/bulk.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
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
