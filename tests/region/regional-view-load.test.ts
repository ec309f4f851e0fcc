import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

// Anonymous load on the regional view (/collections/region/items asks every
// node live): 16 clients looping on it once got the honest client 503 for
// half its requests, and most 200s carried "error" for the other nodes —
// the burst at one node was refused by the others' per-peer limits.

/** Anonymous clients, each from an address of its own (all of 127.0.0.0/8 is loopback)… */
const ANONYMOUS = 16
/** …each with as many requests under way as a client may have (http.maxConcurrentQueriesPerClient)… */
const LOOPS_PER_CLIENT = 2
/** …and at most this many requests per loop, whatever happens. */
const MAX_REQUESTS_PER_LOOP = 400
/** Requests of the honest client, each a bbox of its own (no shared answer to lean on). */
const HONEST_REQUESTS = 5
const HONEST = '127.0.0.30'
const ROWS = 300

interface Answer {
  status: number
  retryAfter: string | undefined
  body: any
}

/** GET from a chosen loopback source address (the limits count the client's address). */
async function getFrom(localAddress: string, url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers: { accept: 'application/geo+json' } }, res => {
      let text = ''
      res.on('data', d => {
        text += String(d)
      })
      res.on('end', () => {
        const ra = res.headers['retry-after']
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, body: text === '' ? null : JSON.parse(text) })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

const allOk = (body: any): boolean =>
  Array.isArray(body?.nodes) && body.nodes.length === 3 && body.nodes.every((n: any) => n.status === 'local' || n.status === 'answered')

describe('anonymous load on the regional view (3 nodes)', () => {
  const region = new TestRegion()
  let nodes: RegionNode[]
  let arnsberg: RegionNode

  beforeAll(async () => {
    await region.startRegistry()
    nodes = await region.addFullMesh([
      ['Stadt Arnsberg', '05958004'],
      ['Stadt Soest', '05974040'],
      ['Stadt Menden (Sauerland)', '05962040']
    ])
    arnsberg = nodes[0]!
    for (const n of nodes) {
      await region.publish(n, sampleDataset({ id: 'baeume', title: `Baumkataster ${n.name}`, spatial: { bbox: [7.5, 50.8, 8.9, 51.7] } }))
      // Points all over Südwestfalen: every bbox the clients ask holds some of every node's.
      const csv = ['nr,lat,lon,art']
        .concat(Array.from({ length: ROWS }, (_, i) => `${i},${50.8 + ((i * 7) % ROWS) * (0.9 / ROWS)},${7.5 + i * (1.4 / ROWS)},Eiche`))
        .join('\n')
      const res = await fetch(`${n.node.url}/api/v1/datasets/baeume/distributions/standorte?title=baeume.csv`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${n.token}`, 'content-type': 'text/csv' },
        body: csv
      })
      expect(res.status).toBe(201)
    }
    await waitFor(
      async () => allOk((await getFrom('127.0.0.1', `${arnsberg.node.url}/collections/region/items?limit=1`)).body),
      'every node answers the regional view',
      30_000,
      200
    )
  }, 120_000)
  afterAll(async () => {
    await region.close()
  })

  it('16 anonymous clients looping on it are throttled, while an honest client gets every node’s answer each time', async () => {
    const statuses = new Map<number, number>()
    let refusedWithoutRetryAfter = 0
    let running = 0
    let honestDone = false
    const loop = async (client: number, loopNo: number): Promise<void> => {
      const from = `127.0.0.${2 + client}`
      running++
      try {
        for (let i = 0; i < MAX_REQUESTS_PER_LOOP && !honestDone; i++) {
          // Half the clients ask the default view over and over, half a bbox of their own each time.
          const path =
            client % 2 === 0
              ? '/collections/region/items'
              : `/collections/region/items?bbox=7.4,50.7,8.9,51.${7000 + client * 1000 + loopNo * 500 + i}`
          const r = await getFrom(from, `${arnsberg.node.url}${path}`)
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (r.status === 429 || r.status === 503) {
            if (r.retryAfter === undefined) refusedWithoutRetryAfter++
            // A short pause keeps the loop from spinning on the test's own CPU (real attackers do not pause).
            await new Promise(res => setTimeout(res, 50))
          }
        }
      } finally {
        running--
      }
    }
    const attack = Promise.all(
      Array.from({ length: ANONYMOUS * LOOPS_PER_CLIENT }, (_, k) => loop(k % ANONYMOUS, Math.floor(k / ANONYMOUS)))
    )
    const refused = (): number => (statuses.get(429) ?? 0) + (statuses.get(503) ?? 0)

    try {
      // The honest client starts once the node is under load: anonymous clients are being refused.
      await waitFor(() => refused() >= ANONYMOUS, 'anonymous clients throttled', 30_000)
      const honest: Answer[] = []
      const attackersWhileHonest: number[] = []
      for (let i = 0; i < HONEST_REQUESTS; i++) {
        honest.push(
          await getFrom(HONEST, `${arnsberg.node.url}/collections/region/items?bbox=7.5,50.8,8.9,51.${600 + i}&limit=20&timeoutMs=5000`)
        )
        attackersWhileHonest.push(running)
      }
      honestDone = true
      await attack

      const total = [...statuses.values()].reduce((a, b) => a + b, 0)
      tally('anonymous regional-view requests under load', total)
      // Every honest request answered, by every node.
      expect(honest.map(h => h.status)).toEqual(Array(HONEST_REQUESTS).fill(200))
      expect(honest.map(h => h.body.nodes.map((n: any) => n.status).sort())).toEqual(
        Array(HONEST_REQUESTS).fill(['answered', 'answered', 'local'])
      )
      for (const h of honest) expect(new Set(h.body.features.map((f: any) => f.origin.kommune)).size).toBe(3)
      // The load lasted through every honest request.
      expect(attackersWhileHonest).toEqual(Array(HONEST_REQUESTS).fill(ANONYMOUS * LOOPS_PER_CLIENT))
      // Anonymous clients were throttled, each refusal saying when to come back, and nothing else failed.
      expect(refused()).toBeGreaterThanOrEqual(ANONYMOUS)
      expect(refusedWithoutRetryAfter).toBe(0)
      expect(
        [...statuses.keys()].every(s => s === 200 || s === 429 || s === 503),
        JSON.stringify([...statuses])
      ).toBe(true)
      expect(total).toBeLessThanOrEqual(ANONYMOUS * LOOPS_PER_CLIENT * MAX_REQUESTS_PER_LOOP)
    } finally {
      honestDone = true
      await attack
    }
  }, 120_000)
})
