import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, searchOk, type TestNode } from '../helpers/node.js'

let t: TestNode
const search = async (qs: string): Promise<any> => searchOk(t, qs)

beforeAll(async () => {
  t = await startTestNode()
  const datasets = [
    sampleDataset({
      id: 'strassenzustand',
      title: 'Straßenzustand Hauptstraßen',
      description: 'Befahrung der Hauptverkehrsstraßen mit Schadensklassen.',
      themes: ['TRAN'],
      keywords: ['Straße', 'Schlagloch'],
      license: 'dl-by-de/2.0',
      spatial: { bbox: [8.05, 51.54, 8.17, 51.6] }
    }),
    sampleDataset({
      id: 'radwege',
      title: 'Radwegenetz',
      description: 'Ausgeschilderte Radwege und Fahrradstraßen im Stadtgebiet.',
      themes: ['TRAN'],
      keywords: ['Radweg'],
      license: 'cc-by/4.0',
      spatial: { bbox: [7.95, 51.35, 8.15, 51.45] }
    }),
    sampleDataset({
      id: 'kita-plaetze',
      title: 'Kita-Plätze',
      description: 'Freie Plätze in Kindertagesstätten, monatlich.',
      themes: ['SOCI', 'EDUC'],
      keywords: ['Kita'],
      license: 'dl-zero-de/2.0',
      spatial: { ags: '05966024' },
      modified: '2020-01-01'
    }),
    sampleDataset({
      id: 'muellabfuhr',
      title: 'Müllabfuhrkalender',
      description: 'Termine der Abfallentsorgung nach Straßen.',
      themes: ['ENVI'],
      keywords: ['Müll', 'Abfall'],
      license: 'dl-zero-de/2.0',
      spatial: { bbox: [7.8, 51.0, 7.9, 51.1] }
    })
  ]
  for (const d of datasets) expect((await t.api('/api/v1/datasets', json(d))).status).toBe(201)
  await t.api('/api/v1/datasets/radwege/distributions/netz?title=Netz', {
    method: 'PUT',
    headers: { 'content-type': 'application/geo+json' },
    body: '{"type":"FeatureCollection","features":[]}'
  })
  for (let i = 0; i < 23; i++)
    expect(
      (
        await t.api(
          '/api/v1/datasets',
          json(
            sampleDataset({
              id: `messreihe-${i}`,
              title: `Messreihe Luftqualität ${i}`,
              description: 'Stickstoffdioxid an Messstellen.',
              themes: ['ENVI'],
              keywords: ['Luft']
            })
          )
        )
      ).status
    ).toBe(201)
})
afterAll(async () => {
  await t.cleanup()
})

const ids = (r: any): string[] => r.items.map((i: any) => i.dataset.id)

describe('catalog search', () => {
  it('folds German text: Straße finds strasse and the other way round, Müll finds muell', async () => {
    // Word prefixes, not compound parts: "Fahrradstraßen" (radwege) does not start with "strasse".
    expect(ids(await search('q=strasse')).sort()).toEqual(['muellabfuhr', 'strassenzustand'])
    expect(ids(await search('q=Stra%C3%9Fe')).sort()).toEqual(['muellabfuhr', 'strassenzustand'])
    expect(ids(await search('q=fahrradstrasse'))).toEqual(['radwege'])
    expect(ids(await search('q=STRASSENZUSTAND'))).toEqual(['strassenzustand'])
    expect(ids(await search('q=m%C3%BCll'))).toEqual(['muellabfuhr'])
    expect(ids(await search('q=muellabfuhr'))).toEqual(['muellabfuhr'])
  })

  it('matches prefixes (Radweg finds Radwege) and ranks title over description', async () => {
    expect(ids(await search('q=Radweg'))).toEqual(['radwege'])
    const r = await search('q=strassen')
    expect(ids(r)[0]).toBe('strassenzustand') // in the title, not only the description
    expect(r.items[0].score).toBeGreaterThan(r.items[r.items.length - 1].score)
  })

  it('filters by theme, keyword, licence, format, AGS, bbox and modified-since, with facets', async () => {
    expect(ids(await search('theme=EDUC'))).toEqual(['kita-plaetze'])
    expect(ids(await search('keyword=stra%C3%9Fe'))).toEqual(['strassenzustand'])
    expect(ids(await search('license=cc-by/4.0'))).toEqual(['radwege'])
    expect(ids(await search('format=GEOJSON'))).toEqual(['radwege'])
    // The AGS filter is the publisher's AGS from the registry (here: the node's own), never one a
    // dataset names: an entry that names another Kommune's AGS must not show up under that Kommune.
    expect(ids(await search('ags=05966024'))).toEqual([])
    expect((await search('ags=05958004')).total).toBe((await search('')).total)
    expect(ids(await search('bbox=8.0,51.5,8.2,51.7'))).toEqual(['strassenzustand'])
    expect(ids(await search('bbox=7.85,51.05,7.86,51.06&theme=ENVI'))).toEqual(['muellabfuhr'])
    expect(ids(await search('modifiedSince=2021-01-01&theme=SOCI'))).toEqual([])
    const r = await search('theme=TRAN&theme=SOCI')
    expect(r.total).toBe(3)
    expect(r.facets.theme).toEqual(
      expect.arrayContaining([
        { value: 'TRAN', count: 2 },
        { value: 'SOCI', count: 1 },
        { value: 'EDUC', count: 1 }
      ])
    )
    expect(r.facets.license).toEqual(
      expect.arrayContaining([
        { value: 'dl-by-de/2.0', count: 1 },
        { value: 'cc-by/4.0', count: 1 },
        { value: 'dl-zero-de/2.0', count: 1 }
      ])
    )
    expect(r.facets.format).toEqual([{ value: 'GEOJSON', count: 1 }])
    expect(r.facets.publisher).toEqual([{ value: t.node.peerId, count: 3, label: 'Stadt Arnsberg' }])
  })

  it('carries provenance on every hit', async () => {
    const [hit] = (await search('q=Kita')).items
    expect(hit.provenance).toMatchObject({ publisher: t.node.peerId, kommune: 'Stadt Arnsberg', publisherOnline: true })
    expect(hit.provenance.seq).toBeGreaterThan(0)
    expect(hit.provenance.entryHash).toMatch(/^[0-9a-f]{64}$/)
    expect(Date.parse(hit.provenance.signedAt)).not.toBeNaN()
    expect(Date.parse(hit.provenance.receivedAt)).not.toBeNaN()
  })

  it.each(['q=Messreihe', 'theme=ENVI', ''])('pages through every hit exactly once (%s)', async qs => {
    const all = await search(`${qs}&limit=100`)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: any = await search(`${qs}&limit=5${cursor === null ? '' : `&cursor=${cursor}`}`)
      seen.push(...ids(page))
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(seen).toEqual(ids(all))
    expect(new Set(seen).size).toBe(all.total)
  })

  it('drops deleted datasets from the index', async () => {
    await t.api('/api/v1/datasets/muellabfuhr', { method: 'DELETE' })
    expect(ids(await search('q=Abfall'))).toEqual([])
  })

  const hostile = [
    '"',
    '""',
    '"unbalanced',
    '*',
    '**',
    'NEAR',
    'NEAR(a b)',
    'a AND',
    'AND OR NOT',
    '(((',
    ')',
    'a OR (b',
    'title:x',
    '^x',
    '-x',
    '+',
    '{a b}',
    'x'.repeat(499),
    '\u0000\u0001\u001f',
    'ab\u0000cd',
    '😀',
    '\uFFFD',
    '%',
    "'; DROP TABLE entries; --"
  ]
  it.each(hostile.map(h => [JSON.stringify(h).slice(0, 40), h]))('query text %s gives results, not an error', async (_n, text) => {
    const r = await t.api(`/api/v1/search?q=${encodeURIComponent(text)}`, { auth: false })
    expect(r.status).toBe(200)
    expect(Array.isArray((await r.json()).items)).toBe(true)
  })

  it.each([
    ['q too long (10 KB)', `q=${'a'.repeat(10_000)}`, 'q'],
    ['bad bbox', 'bbox=1,2,3', 'bbox'],
    ['bbox out of range', 'bbox=0,0,200,1', 'bbox.2'],
    ['unknown theme', 'theme=SPORT', 'theme.0'],
    ['bad cursor', 'cursor=garbage', 'cursor'],
    ['cursor of another ordering', `q=x&cursor=${Buffer.from(JSON.stringify(['2020', 'a', 'b'])).toString('base64url')}`, 'cursor'],
    ['limit too high', 'limit=1000', 'limit'],
    ['bad date', 'modifiedSince=gestern', 'modifiedSince'],
    // Before, hono kept the undecodable value as it came and the node searched for the text "%FF%FE" (200).
    ['invalid UTF-8 percent-encoding', 'q=%FF%FE', 'q'],
    ['invalid UTF-8 percent-encoding in a filter', 'keyword=ok&theme=%C3', 'theme']
  ])('rejects %s with a 400', async (_n, qs, field) => {
    const r = await t.api(`/api/v1/search?${qs}`, { auth: false })
    expect(r.status).toBe(400)
    expect((await r.json()).error.field).toBe(field)
  })
})
