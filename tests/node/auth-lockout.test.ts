import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

// The node's admin token had the registry's defect: wrong tokens from the
// operator's address (or the reverse proxy's, which every client shares)
// locked the operator's own CLI and API calls out.
describe('node: wrong admin tokens do not lock the operator out', () => {
  // 5, not 10: a token comes back every 600/5 = 120 s, more than the CLI waits on a 429 (60 s),
  // so a refused CLI fails at once instead of waiting.
  const MAX = 5
  let t: TestNode
  const wrong = async (i: number): Promise<Response> =>
    t.api('/api/v1/datasets/x', { method: 'DELETE', headers: { authorization: `Bearer falsch-${i}` } })

  beforeAll(async () => {
    t = await startTestNode({ http: { host: '127.0.0.1', port: 0, maxAuthFailures: MAX } })
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('after more wrong tokens than allowed, the right one is accepted (API and CLI); wrong ones stay refused with 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < MAX + 2; i++) statuses.push((await wrong(i)).status)
    expect(statuses).toEqual([...Array<number>(MAX).fill(403), 429, 429])

    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'radwege' })))).status).toBe(201)
    const csv = join(t.dataDir, '..', 'kita.csv')
    writeFileSync(csv, 'name;plaetze\nKita Sonnenschein;40\n')
    const published = await runCli([
      'publish',
      csv,
      '--title',
      'Kita-Plätze',
      '--license',
      'dl-by-de/2.0',
      '--data-dir',
      t.dataDir,
      '--url',
      t.node.url
    ])
    expect(published.stderr).toBe('')
    expect(published.code).toBe(0)
    expect(published.stdout).toMatch(/^Published kita-plaetze /)
    expect((await t.api('/api/v1/datasets/kita-plaetze', { auth: false })).status).toBe(200)

    const after = await wrong(99)
    expect(after.status).toBe(429)
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('too_many_failed_logins')
  })
})
