import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type ChildNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

// Anonymous load on the federated data query: every query fans out to every
// node, so a few clients looping over no-match queries once held 91–97 % of
// a core on every node and honest queries timed out. Nodes run as processes
// so their CPU time can be read from /proc.

const ROWS = 20_000

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ 100)
}

/** GET from a chosen loopback source address (the limits count the client's address). */
async function getFrom(localAddress: string, url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress }, res => {
      let text = ''
      res.on('data', d => {
        text += String(d)
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('anonymous load on federated data queries (3 node processes)', () => {
  const region = new TestRegion()
  const nodes: ChildNode[] = []

  beforeAll(async () => {
    await region.startRegistry()
    for (const [name, ags] of [
      ['Stadt Soest', '05974040'],
      ['Stadt Menden (Sauerland)', '05962040'],
      ['Stadt Olpe', '05966024']
    ] as const) {
      const n = await region.addChildNode(name, ags)
      nodes.push(n)
      const auth = { authorization: `Bearer ${n.token}` }
      expect(
        (
          await fetch(`${n.url}/api/v1/datasets`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify(sampleDataset({ id: 'zaehlung', title: `Verkehrszählung ${name}` }))
          })
        ).status
      ).toBe(201)
      const csv = ['id,lat,lon,strasse,kfz']
        .concat(Array.from({ length: ROWS }, (_, i) => `${i},${51 + i / ROWS},${7.8 + i / ROWS},Straße ${i % 500},${i % 97}`))
        .join('\n')
      expect(
        (
          await fetch(`${n.url}/api/v1/datasets/zaehlung/distributions/daten`, {
            method: 'PUT',
            headers: { ...auth, 'content-type': 'text/csv' },
            body: csv
          })
        ).status
      ).toBe(201)
    }
    await waitFor(
      async () => {
        const r = await getFrom('127.0.0.3', `${nodes[0]!.url}/api/v1/query?where=kfz%3D3&limit=1`)
        return r.status === 200 && r.body.nodes.filter((x: any) => x.status === 'answered' || x.status === 'local').length === 3
      },
      'all three nodes answer',
      60_000,
      500
    )
  }, 180_000)
  afterAll(async () => {
    await region.close()
  })

  it('four clients looping over no-match queries for 8 s: mostly 429, each node far from a busy core, and an honest query still answered by every node', async () => {
    const before = nodes.map(n => cpuSeconds(n.child.pid!))
    const t0 = Date.now()
    const statuses = new Map<number, number>()
    await Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        let i = 0
        while (Date.now() - t0 < 8_000) {
          const target = nodes[(c + i++) % nodes.length]!
          const r = await getFrom('127.0.0.1', `${target.url}/api/v1/query?where=strasse%3DNirgendwo${c}-${i}&timeoutMs=5000`)
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (r.status !== 200) await new Promise(res => setTimeout(res, 20))
        }
      })
    )
    const seconds = (Date.now() - t0) / 1000
    const cpu = nodes.map((n, i) => (cpuSeconds(n.child.pid!) - before[i]!) / seconds)
    tally(
      'anonymous data queries under load (429 or answered, no 5xx)',
      [...statuses.values()].reduce((a, b) => a + b, 0)
    )
    expect(
      [...statuses.keys()].every(s => s === 200 || s === 429),
      JSON.stringify([...statuses])
    ).toBe(true)
    expect(statuses.get(429) ?? 0).toBeGreaterThan(statuses.get(200) ?? 0)
    // Before: 0.91–0.97 of a core on every node.
    for (const share of cpu) expect(share).toBeLessThan(0.5)

    // An honest user elsewhere gets every node's matches.
    const honest = await getFrom('127.0.0.2', `${nodes[1]!.url}/api/v1/query?where=kfz%3D3&limit=5&timeoutMs=5000`)
    expect(honest.status).toBe(200)
    expect(honest.body.nodes.map((n: any) => n.status).sort()).toEqual(['answered', 'answered', 'local'])
    expect(honest.body.matches.length).toBe(15)
  }, 60_000)
})
