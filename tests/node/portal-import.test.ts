import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { startTestNode, type TestNode } from '../helpers/node.js'

// A municipal portal's catalog as real ones come (tests/fixtures/portal-real-world.ttl names
// the shapes it reproduces): imported as the README says, then exported again and checked
// with GovData's official shapes.
const CHECK = fileURLToPath(new URL('../../../shared/standards/dcat-ap-de/check', import.meta.url))
const FIXTURE = fileURLToPath(new URL('../fixtures/portal-real-world.ttl', import.meta.url))
const run = promisify(execFile)

let t: TestNode
let server: Server
let pages: Record<string, string> = {}
let baseUrl = ''

const importUrl = async (url: string, qs = ''): Promise<any> => {
  const res = await t.api(`/api/v1/import${qs}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url })
  })
  expect(res.status).toBe(200)
  return res.json()
}

beforeAll(async () => {
  t = await startTestNode({ kommune: { name: 'Stadt Menden (Sauerland)', ags: '05962040' } })
  server = createServer((req, res) => {
    const page = pages[req.url ?? '']
    if (page === undefined) {
      res.writeHead(503).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/turtle' }).end(page)
  })
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => {
      resolve()
    })
  )
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.close()
  await t.cleanup()
})

describe('importing a real portal catalog', () => {
  let report: any
  it('imports ≥ 95 % of the records and reports every repaired, kept or dropped field', async () => {
    const cli = await runCli(['import', FIXTURE, '--json', '--data-dir', t.dataDir, '--url', t.node.url])
    expect(cli.code, cli.stderr).toBe(0)
    report = JSON.parse(cli.stdout)
    const total = (report.created as number) + (report.skipped as unknown[]).length
    expect(total).toBe(40)
    expect(report.created / total).toBeGreaterThanOrEqual(0.95)
    expect(report.skipped).toEqual([{ iri: 'https://opendata.menden.example/dataset/d13', reason: 'title: no dct:title' }])
    expect(report.complete).toBe(true)
    const warned = (id: string, field: string): string[] =>
      report.warnings.filter((w: any) => w.iri.endsWith(`/dataset/${id}`) && w.field === field).map((w: any) => w.message)
    expect(warned('d00', 'issued')).toEqual([
      expect.stringMatching(/no time zone: taken as Europe\/Berlin time, 2025-01-15T10:30:00\+01:00/)
    ])
    expect(warned('d03', 'distributions[0].license')).toEqual([
      expect.stringMatching(/govdata\.de\/dl-de\/by-2-0 read as dcat-ap\.de's dl-by-de\/2\.0/)
    ])
    expect(warned('d07', 'distributions[0].license')).toEqual([expect.stringMatching(/not in the dcat-ap\.de vocabulary: kept as given/)])
    expect(warned('d00', 'contactPoint.email')).toEqual([expect.stringMatching(/read as opendata@menden\.example/)])
    expect(warned('d02', 'distributions[1].accessURL')).toEqual(['empty accessURL: left out'])
    expect(warned('d03', 'spatial.bbox')).toEqual([expect.stringMatching(/out of range; left out/)])
    expect(warned('d03', 'keywords[2]').concat(warned('d03', 'keywords[0]'))).toEqual([expect.stringMatching(/at most 100 characters/)])
    expect(warned('d04', 'modified')).toEqual([expect.stringMatching(/"15\.01\.2026" is not an ISO 8601 date: left out/)])
    expect(warned('d05', 'landingPage')).toEqual([expect.stringMatching(/javascript:alert\(1\).*left out/)])
    expect(warned('d06', 'accrualPeriodicity')).toEqual([expect.stringMatching(/FORTNIGHTLYISH is not an EU frequency/)])
  })

  it("keeps what the source said: dates in Berlin time, known licences, the unknown licence, extents, the source's geocoding", async () => {
    const get = async (id: string): Promise<any> => (await (await t.api(`/api/v1/datasets/${id}`, { auth: false })).json()).dataset
    const winter = await get('d00')
    expect(winter).toMatchObject({
      issued: '2025-01-15T10:30:00+01:00',
      license: 'dl-by-de/2.0',
      contactPoint: { email: 'opendata@menden.example' }
    })
    expect(winter.spatial).toEqual({
      bbox: [7.72, 51.38, 7.86, 51.48],
      ags: '05962040',
      politicalGeocodingURIs: ['http://dcat-ap.de/def/politicalGeocoding/regionalKey/059620040040'],
      politicalGeocodingLevelURI: 'http://dcat-ap.de/def/politicalGeocoding/Level/municipality'
    })
    expect((await get('d01')).issued).toBe('2025-07-15T10:30:00+02:00')
    // GeoJSON, WKT with EPSG:4326 (lat/lon) and dcat:bbox all give the same lon/lat box.
    for (const id of ['d00', 'd01', 'd02']) expect((await get(id)).spatial.bbox).toEqual([7.72, 51.38, 7.86, 51.48])
    expect((await get('d03')).spatial).toEqual({ ags: '05962040' })
    const licences = Object.fromEntries(
      await Promise.all(['d01', 'd02', 'd04', 'd05', 'd06', 'd07', 'd15'].map(async id => [id, (await get(id)).distributions[0].license]))
    )
    expect(licences).toEqual({
      d01: 'dl-by-de/2.0',
      d02: 'dl-zero-de/2.0',
      d04: 'cc-by/4.0',
      d05: 'cc-zero',
      d06: 'cc-by/4.0',
      d07: 'https://www.menden.example/nutzungsbedingungen',
      d15: 'cc-by/4.0'
    })
    const d02 = await get('d02')
    expect(d02.distributions).toHaveLength(2)
    expect(d02.distributions[1].accessURL).toBeUndefined()

    // The export names the source's regional key, not the importing node's municipality key.
    const ttl = await (await t.api('/catalog.ttl', { auth: false })).text()
    expect(ttl).toContain('regionalKey/059620040040')
  })

  it("the re-export passes GovData's official shapes with 0 Violations, in every format", async () => {
    for (const ext of ['ttl', 'rdf', 'jsonld']) {
      const r = await run(CHECK, [`${t.node.url}/catalog.${ext}`]).catch((err: unknown) => err as { stdout?: string; stderr?: string })
      const out = `${r.stdout ?? ''}${r.stderr ?? ''}`
      expect(out, out).toMatch(/summary: Violation=0 /)
      expect(Number(/data triples: (\d+)/.exec(out)?.[1])).toBeGreaterThan(1000)
    }
  }, 120_000)

  it('an unreachable next page ends the import with a report, exit code 3 and no prune; a re-run resumes without duplicates', async () => {
    const page = (
      n: number,
      next?: number
    ): string => `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
      <${baseUrl}/katalog?page=${n}> a hydra:PagedCollection ${next === undefined ? '' : `; hydra:nextPage "${baseUrl}/katalog?page=${next}"`} .
      ${[0, 1]
        .map(
          i => `<https://portal.example/dataset/s${n}-${i}> a dcat:Dataset ; dct:title "Seite ${n} Nr. ${i}"@de ; dct:description "x"@de ;
        dcat:distribution [ a dcat:Distribution ; dct:license <http://dcat-ap.de/def/licenses/cc-zero> ; dcat:accessURL <https://portal.example/f${n}${i}> ] .`
        )
        .join('\n')}`
    pages = { '/katalog?page=1': page(1, 2), '/katalog?page=3': page(3) }
    const before = await importUrl(`${baseUrl}/katalog?page=1`)
    expect(before).toMatchObject({
      pages: 1,
      created: 2,
      complete: false,
      failedPages: [{ url: `${baseUrl}/katalog?page=2`, reason: expect.stringMatching(/503/) }]
    })

    const partial = await runCli(['import', `${baseUrl}/katalog?page=1`, '--prune', '--data-dir', t.dataDir, '--url', t.node.url])
    expect(partial.code).toBe(3)
    expect(partial.stdout).toMatch(/1 page\(s\), 0 created, 0 updated, 2 unchanged, 0 pruned/)
    expect(partial.stdout).toMatch(/page not read .*katalog\?page=2: .*503/)
    expect(partial.stdout).toMatch(/Import incomplete: 1 page\(s\) could not be read; nothing was pruned/)
    expect(partial.stderr).not.toMatch(/at .*\.js:\d+/)

    pages['/katalog?page=2'] = page(2, 3)
    const resumed = await importUrl(`${baseUrl}/katalog?page=1`)
    expect(resumed).toMatchObject({ pages: 3, created: 4, unchanged: 2, complete: true, failedPages: [] })
    const ids = (await (await t.api('/api/v1/datasets?limit=500', { auth: false })).json()).items
      .map((d: any) => d.dataset.id)
      .filter((id: string) => id.startsWith('s'))
    expect(ids.sort()).toEqual(['s1-0', 's1-1', 's2-0', 's2-1', 's3-0', 's3-1'])
    // The first page unreachable is a failure, not a partial import.
    const failed = await runCli(['import', `${baseUrl}/weg`, '--data-dir', t.dataDir, '--url', t.node.url])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/503/)
  })
})
