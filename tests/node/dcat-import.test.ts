import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

const portal = readFileSync(new URL('../fixtures/portal-export.ttl', import.meta.url), 'utf8')
let t: TestNode
let source: TestNode
let server: Server
let pages: Record<string, string> = {}
let baseUrl = ''

const importBody = async (body: string, type: string, qs = ''): Promise<{ status: number; body: any }> => {
  const res = await t.api(`/api/v1/import${qs}`, { method: 'POST', headers: { 'content-type': type }, body })
  return { status: res.status, body: await res.json() }
}
const importUrl = async (url: string, qs = ''): Promise<{ status: number; body: any }> =>
  importBody(JSON.stringify({ url }), 'application/json', qs)

beforeAll(async () => {
  t = await startTestNode({ kommune: { name: 'Stadt Soest', ags: '05974040' } })
  source = await startTestNode({ kommune: { name: 'Stadt Olpe', ags: '05966024' } })
  server = createServer((req, res) => {
    const page = pages[req.url ?? '']
    if (page === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/turtle' }).end(page)
  })
  await new Promise<void>(r =>
    server.listen(0, '127.0.0.1', () => {
      r()
    })
  )
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.close()
  await t.cleanup()
  await source.cleanup()
})

describe('DCAT-AP.de import', () => {
  it('imports a portal export as own signed datasets and reports every skipped record with its reason', async () => {
    const r = await importBody(portal, 'text/turtle', '?source=portal-export.ttl')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      source: 'file:portal-export.ttl',
      pages: 1,
      created: 3,
      updated: 0,
      unchanged: 0,
      pruned: 0,
      complete: true
    })
    expect(r.body.skipped).toEqual([{ iri: 'https://opendata.soest.example/dataset/ohne-titel', reason: expect.stringMatching(/title/) }])
    // A licence outside the vocabulary is no reason to drop the record: kept as given, and reported.
    expect(r.body.warnings).toEqual([
      {
        iri: 'https://opendata.soest.example/dataset/ohne-lizenz',
        field: 'license',
        message: expect.stringMatching(/licence http:\/\/example.org\/eigene-lizenz is not in the dcat-ap.de vocabulary: kept as given/)
      }
    ])
    expect((await (await t.api('/api/v1/datasets/ohne-lizenz', { auth: false })).json()).dataset.license).toBe(
      'http://example.org/eigene-lizenz'
    )
    const d = (await (await t.api('/api/v1/datasets/haushaltsplan-2026', { auth: false })).json()).dataset
    expect(d).toMatchObject({
      title: 'Haushaltsplan 2026',
      keywords: ['Finanzen', 'Haushalt'],
      themes: ['GOVE'],
      license: 'dl-by-de/2.0',
      spatial: { ags: '05974040', bbox: [8.05, 51.54, 8.17, 51.6] },
      contactPoint: { name: 'Kämmerei Soest', email: 'kaemmerei@soest.example' },
      issued: '2025-12-15',
      modified: '2026-01-10T09:30:00Z',
      accrualPeriodicity: 'ANNUAL',
      publisher: { name: 'Stadt Soest' }
    })
    // External distributions stay links: no download, no file on this node.
    expect(d.distributions).toEqual([
      expect.objectContaining({
        id: 'haushaltsplan-pdf',
        format: 'PDF',
        mediaType: 'application/pdf',
        downloadURL: 'https://opendata.soest.example/files/haushaltsplan-2026.pdf'
      }),
      expect.objectContaining({
        id: 'teilplaene-csv',
        format: 'CSV',
        mediaType: 'text/csv',
        accessURL: 'https://opendata.soest.example/files/teilplaene.csv'
      })
    ])
    expect(d.distributions[0].sha256).toBeUndefined()
    expect((await (await t.api('/api/v1/datasets/wahlergebnisse', { auth: false })).json()).dataset.license).toBe('dl-zero-de/2.0')
  })

  it('re-imports without duplicates: unchanged stays, changed updates, gone is pruned only with prune', async () => {
    const head = t.node.catalog.head().seq
    const again = await importBody(portal, 'text/turtle', '?source=portal-export.ttl')
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 3 })
    expect(t.node.catalog.head().seq).toBe(head) // nothing re-signed
    const changed = portal.replace('"Haushaltsplan 2026"@de', '"Haushaltsplan 2026 (beschlossen)"@de')
    const withoutWahl = changed.replace(
      /<https:\/\/opendata\.soest\.example\/dataset\/wahlergebnisse> a dcat:Dataset[\s\S]*?ergebnisse\.csv> \] \./,
      ''
    )
    const kept = await importBody(withoutWahl, 'text/turtle', '?source=portal-export.ttl')
    expect(kept.body).toMatchObject({ updated: 1, pruned: 0 })
    expect((await t.api('/api/v1/datasets/wahlergebnisse', { auth: false })).status).toBe(200)
    const pruned = await importBody(withoutWahl, 'text/turtle', '?source=portal-export.ttl&prune=true')
    expect(pruned.body).toMatchObject({ unchanged: 2, pruned: 1 })
    expect((await t.api('/api/v1/datasets/wahlergebnisse', { auth: false })).status).toBe(404)
    expect((await (await t.api('/api/v1/datasets/wahlergebnisse/entry', { auth: false })).json()).payload.tombstone).toBe(true)
  })

  it('never overwrites a dataset that did not come from the source', async () => {
    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'eigener-datensatz', title: 'Handgepflegt' })))).status).toBe(201)
    const clash = portal.replace('dct:identifier "haushaltsplan-2026"', 'dct:identifier "eigener-datensatz"')
    const r = await importBody(clash, 'text/turtle', '?source=anderes-portal.ttl')
    expect(r.body.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: expect.stringMatching(/already exists on this node and was not imported from this source/) })
      ])
    )
    expect((await (await t.api('/api/v1/datasets/eigener-datensatz', { auth: false })).json()).dataset.title).toBe('Handgepflegt')
  })

  it('follows a paged catalog (hydra:nextPage) from a URL', async () => {
    const page = (
      n: number,
      next?: number
    ): string => `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
      <${baseUrl}/catalog.ttl?page=${n}> a hydra:PagedCollection ${next === undefined ? '' : `; hydra:nextPage "${baseUrl}/catalog.ttl?page=${next}"`} .
      ${[0, 1, 2]
        .map(
          i => `<https://portal.example/dataset/p${n}-${i}> a dcat:Dataset ; dct:title "Seite ${n} Nr. ${i}"@de ; dct:description "x"@de ;
        dcat:distribution [ a dcat:Distribution ; dct:license <http://dcat-ap.de/def/licenses/cc-zero> ; dcat:accessURL <https://portal.example/f${n}${i}> ] .`
        )
        .join('\n')}`
    pages = { '/catalog.ttl?page=1': page(1, 2), '/catalog.ttl?page=2': page(2, 3), '/catalog.ttl?page=3': page(3) }
    const r = await importUrl(`${baseUrl}/catalog.ttl?page=1`)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ pages: 3, created: 9, skipped: [] })
    // With Accept: application/x-ndjson the same import streams its progress, page by page.
    const res = await t.api('/api/v1/import', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: JSON.stringify({ url: `${baseUrl}/catalog.ttl?page=1` })
    })
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/)
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map(l => JSON.parse(l))
    expect(lines).toEqual([
      { type: 'page', page: 1, records: 3 },
      { type: 'page', page: 2, records: 3 },
      { type: 'page', page: 3, records: 3 },
      expect.objectContaining({ type: 'report', pages: 3, created: 0, unchanged: 9 })
    ])
    // A failure after the stream began ends it with an error line carrying the API's code.
    const gone = await t.api('/api/v1/import', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: JSON.stringify({ url: `${baseUrl}/gibt-es-nicht.ttl` })
    })
    expect(gone.status).toBe(200)
    expect(
      (await gone.text())
        .trim()
        .split('\n')
        .map(l => JSON.parse(l))
        .at(-1)
    ).toEqual({ type: 'error', error: { code: 'import_source_unreadable', message: expect.any(String), field: 'url' } })
  })

  it("round-trips another node's RDF/XML and JSON-LD exports", async () => {
    for (let i = 0; i < 3; i++)
      await source.api('/api/v1/datasets', json(sampleDataset({ id: `olpe-${i}`, title: `Olpe ${i}`, themes: ['SOCI'] })))
    await source.api('/api/v1/datasets/olpe-0/distributions/daten', {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: 'a\n1\n'
    })
    for (const format of ['rdf', 'jsonld']) {
      const body = await (await source.api(`/catalog.${format}`, { auth: false })).text()
      const r = await importBody(body, format === 'rdf' ? 'application/rdf+xml' : 'application/ld+json', '?source=olpe')
      expect(r.body.skipped, format).toEqual([])
      // The second format must yield exactly what the first did.
      expect(r.body, format).toMatchObject(format === 'rdf' ? { created: 3 } : { created: 0, updated: 0, unchanged: 3 })
    }
    const imported = (await (await t.api('/api/v1/datasets/olpe-0', { auth: false })).json()).dataset
    const original = (await (await source.api('/api/v1/datasets/olpe-0', { auth: false })).json()).dataset
    for (const key of ['title', 'description', 'themes', 'license', 'spatial', 'temporal', 'contactPoint', 'accrualPeriodicity']) {
      expect(imported[key], key).toEqual(original[key])
    }
    expect(imported.keywords).toEqual([...original.keywords].sort((x: string, y: string) => x.localeCompare(y, 'de')))
    expect(imported.distributions[0]).toMatchObject({ id: 'daten', format: 'CSV', mediaType: 'text/csv' })
    expect(imported.distributions[0].downloadURL).toMatch(/\/api\/v1\/datasets\/olpe-0\/distributions\/daten\/daten\.csv$/)
  })

  it('imports a catalog of several MB', async () => {
    const n = 1500
    const ttl = [
      '@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .',
      ...Array.from(
        { length: n },
        (_, i) => `<https://gross.example/dataset/${i}> a dcat:Dataset ; dct:identifier "gross-${i}" ; dct:title "Messreihe ${i}"@de ;
        dct:description "${'Messwerte der Station mit Erläuterungen zur Methodik. '.repeat(30)}"@de ;
        dcat:distribution [ a dcat:Distribution ; dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ; dcat:accessURL <https://gross.example/f/${i}.csv> ;
        dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ] .`
      )
    ].join('\n')
    expect(ttl.length).toBeGreaterThan(2 * 1024 * 1024)
    const r = await importBody(ttl, 'text/turtle', '?source=gross.ttl')
    expect(r.body).toMatchObject({ created: n, skipped: [] })
  })

  it.each([
    ['invalid Turtle', async () => importBody('<<< kein RDF', 'text/turtle'), 400, 'invalid_rdf'],
    [
      'invalid JSON-LD',
      async () => importBody('{"@context": "https://remote.example/ctx.jsonld", "@id": "x"}', 'application/ld+json'),
      400,
      'invalid_rdf'
    ],
    ['empty body', async () => importBody('', 'text/turtle'), 400, 'validation_failed'],
    ['no url', async () => importBody('{}', 'application/json'), 400, 'validation_failed'],
    ['unreachable url', async () => importUrl('http://127.0.0.1:1/catalog.ttl'), 422, 'import_source_unreadable'],
    ['non-http url', async () => importUrl('file:///etc/passwd'), 422, 'import_source_unreadable'],
    [
      'missing token',
      async () =>
        (async () => {
          const res = await t.api('/api/v1/import', { method: 'POST', auth: false, body: portal })
          return { status: res.status, body: await res.json() }
        })(),
      401,
      'unauthorized'
    ]
  ])('rejects %s', async (_name, call, status, code) => {
    const before = t.node.catalog.head().seq
    const r = await call()
    expect(r.status).toBe(status)
    expect(r.body.error.code).toBe(code)
    expect(t.node.catalog.head().seq).toBe(before)
  })
})
