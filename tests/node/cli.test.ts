import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, runCli, spawnCli, stopChild } from '../helpers/cli.js'
import { tempDir } from '../helpers/node.js'
import type { ChildProcess } from 'node:child_process'

const dir = tempDir('swf-cli-')
const dataDir = join(dir, 'olpe')
let node: ChildProcess | undefined

afterAll(async () => {
  if (node !== undefined) await stopChild(node)
})

describe('swf-node CLI', () => {
  beforeAll(async () => {
    const port = await freePort()
    const init = await runCli([
      'init',
      '--kommune',
      'Stadt Olpe',
      '--ags',
      '05966024',
      '--data-dir',
      dataDir,
      '--http-port',
      String(port),
      '--p2p-port',
      String(await freePort())
    ])
    expect(init.code).toBe(0)
    expect(init.stdout).toMatch(/peer id:\s+12D3KooW/)
    node = (await spawnCli(['start', '--data-dir', dataDir], /is running at http/)).child
  })

  it('init writes config, a 0600 key and a 0600 token, and refuses a second init', async () => {
    expect(JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')).kommune).toEqual({ name: 'Stadt Olpe', ags: '05966024' })
    expect(statSync(join(dataDir, 'node-key.json')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600)
    const again = await runCli(['init', '--kommune', 'X', '--ags', '05966024', '--data-dir', dataDir])
    expect(again.code).not.toBe(0)
    expect(again.stderr).toMatch(/already holds a node/)
  })

  it('publishes a file, lists it and shows the status', async () => {
    const csv = join(dir, 'kita-plaetze.csv')
    writeFileSync(csv, 'kita;plaetze\nSonnenschein;45\nRegenbogen;60\n')
    const pub = await runCli([
      'publish',
      csv,
      '--title',
      'Kita-Plätze Olpe',
      '--license',
      'dl-zero-de/2.0',
      '--theme',
      'SOCI',
      '--theme',
      'EDUC',
      '--data-dir',
      dataDir
    ])
    expect(pub.stderr).toBe('')
    expect(pub.code).toBe(0)
    expect(pub.stdout).toMatch(/Published kita-plaetze-olpe \(entry 1, kita-plaetze-csv: 43 bytes/)

    const list = await runCli(['datasets', '--json', '--data-dir', dataDir])
    expect(list.code).toBe(0)
    const items = JSON.parse(list.stdout)
    expect(items).toHaveLength(1)
    expect(items[0].dataset).toMatchObject({
      id: 'kita-plaetze-olpe',
      themes: ['SOCI', 'EDUC'],
      license: 'dl-zero-de/2.0',
      publisher: { name: 'Stadt Olpe' }
    })
    expect(items[0].dataset.distributions[0]).toMatchObject({ format: 'CSV', mediaType: 'text/csv', byteSize: 43 })

    // Publishing the same title again updates the dataset instead of failing (metadata and file: one entry each time).
    const again = await runCli(['publish', csv, '--title', 'Kita-Plätze Olpe', '--license', 'dl-zero-de/2.0', '--data-dir', dataDir])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/entry 2/)

    const status = await runCli(['status', '--data-dir', dataDir])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/Stadt Olpe \(AGS 05966024\)/)
    expect(status.stdout).toMatch(/datasets:\s+1 own \(2 signed entries\); region: 1 datasets, 2 entries from 1 publisher\(s\)/)
  })

  it("imports a portal's DCAT-AP.de export and reports skipped records", async () => {
    const file = new URL('../fixtures/portal-export.ttl', import.meta.url).pathname
    const r = await runCli(['import', file, '--data-dir', dataDir])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /Imported file:portal-export.ttl: 1 page\(s\), 3 created, 0 updated, 0 unchanged, 0 pruned, 1 skipped, 1 field warning\(s\)/
    )
    expect(r.stdout).toMatch(/skipped https:\/\/opendata.soest.example\/dataset\/ohne-titel: title: no dct:title/)
    expect(r.stdout).toMatch(
      /warning https:\/\/opendata.soest.example\/dataset\/ohne-lizenz license: licence http:\/\/example.org\/eigene-lizenz is not in the dcat-ap.de vocabulary: kept as given/
    )
    const bad = await runCli(['import', join(dir, 'fehlt.ttl'), '--data-dir', dataDir])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/cannot read/)
  })

  it('fails with a clear message and exit code ≠ 0 on bad input', async () => {
    const csv = join(dir, 'x.csv')
    writeFileSync(csv, 'a\n')
    const cases: Array<[string[], RegExp]> = [
      [['publish', csv, '--title', 'X', '--license', 'beerware', '--data-dir', dataDir], /field "license"/],
      [['publish', join(dir, 'fehlt.csv'), '--title', 'X', '--license', 'cc-zero', '--data-dir', dataDir], /cannot read file/],
      [['publish', csv, '--license', 'cc-zero', '--data-dir', dataDir], /--title is required/],
      [['publish', csv, '--title', 'X', '--license', 'cc-zero', '--data-dir', dataDir, '--url', 'http://127.0.0.1:1'], /no node answers/],
      [['init', '--kommune', 'X', '--ags', '123', '--data-dir', join(dir, 'bad')], /--ags 123: AGS must be 8 digits/],
      [['init', '--kommune', 'X', '--ags', '05966024', '--http-port', 'neun'], /port number/],
      [['status', '--data-dir', join(dir, 'nirgends')], /no configuration/],
      [['frobnicate'], /unknown command/]
    ]
    for (const [args, message] of cases) {
      const r = await runCli(args)
      expect(r.code, args.join(' ')).not.toBe(0)
      expect(r.stderr, args.join(' ')).toMatch(message)
    }
    expect(existsSync(join(dir, 'bad', 'node-key.json'))).toBe(false)
  })

  it('stops cleanly on SIGTERM', async () => {
    expect(await stopChild(node!)).toBe(0)
    node = undefined
  })
})
