import { execFile, execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { tempDir } from '../helpers/node.js'
import { ogcValidator } from '../helpers/ogc-schemas.js'
import { readmeCommands } from '../helpers/readme.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// OGC API – Features and Records driven by the real client GIS users have:
// GDAL/OGR (Debian's gdal-bin), and every answer checked against the OGC's
// own schemas.

const run = promisify(execFile)
const gdal = async (cmd: string, args: string[]): Promise<string> =>
  (await run(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GDAL_HTTP_TIMEOUT: '60', CPL_VSIL_CURL_USE_HEAD: 'NO' } }))
    .stdout

/** 10,000 benches and litter bins in Arnsberg, surveyed in ETRS89 / UTM 32N (Rechtswert/Hochwert), with a date each. */
const BAENKE_ROWS = 10_000
const dayOf = (i: number): string => new Date(Date.UTC(2025, 0, 1 + (i % 365))).toISOString().slice(0, 10)
const BAENKE_CSV =
  'Nr;Rechtswert;Hochwert;Art;Hoehe_m;Datum\r\n' +
  Array.from(
    { length: BAENKE_ROWS },
    (_, i) =>
      `${i + 1};${430000 + (i % 100) * 50};${5698000 + Math.floor(i / 100) * 50};${i % 3 === 0 ? 'Papierkorb' : 'Bank'};${200 + (i % 7)},5;${dayOf(i)}`
  ).join('\r\n') +
  '\r\n'
/** Soest: lat/lon with decimal commas. */
const SOEST_CSV =
  'id;lat;lon;schadensart;strasse\n1;51,5712;8,1062;Schlagloch;Brüderstraße\n2;51,5741;8,1118;Riss;Ulricherstraße\n3;51,5689;8,1009;Schlagloch;Thomästraße\n'
const RADROUTEN = readFileSync(new URL('../../examples/suedwestfalen/data/arnsberg-radrouten.geojson', import.meta.url), 'utf8')
/** A hiking trail recorded with a GPS device, and a hut beside it. */
const WANDERWEG_GPX = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="GPS" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Sauerland-Höhenflug (Abschnitt Arnsberg)</name><trkseg>
    <trkpt lat="51.401" lon="8.061"><time>2025-06-01T09:00:00Z</time></trkpt>
    <trkpt lat="51.395" lon="8.082"><time>2025-06-01T09:40:00Z</time></trkpt>
    <trkpt lat="51.388" lon="8.101"><time>2025-06-01T10:15:00Z</time></trkpt>
  </trkseg></trk>
  <wpt lat="51.392" lon="8.09"><name>Schutzhütte</name></wpt>
</gpx>`
/** Opening hours of the town hall: no coordinates. */
const OHNE_KOORDINATEN = 'tag;von;bis\nMontag;08:00;16:00\n'

describe('OGC API Features and Records, read by GDAL (2 nodes)', () => {
  const region = new TestRegion()
  const ogc = ogcValidator()
  let arnsberg: RegionNode, soest: RegionNode
  let baenke: string, schaeden: string, radrouten: string, ohne: string

  const upload = async (n: RegionNode, id: string, dist: string, title: string, type: string, body: string): Promise<void> => {
    const res = await fetch(`${n.node.url}/api/v1/datasets/${id}/distributions/${dist}?title=${encodeURIComponent(title)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${n.token}`, 'content-type': type },
      body
    })
    expect(res.status).toBe(201)
  }
  const get = async (
    n: RegionNode,
    path: string,
    accept = 'application/json'
  ): Promise<{ status: number; body: any; headers: Headers }> => {
    const res = await fetch(`${n.node.url}${path}`, { headers: { accept } })
    return { status: res.status, body: await res.json(), headers: res.headers }
  }
  const valid = (schema: string, doc: unknown): void => {
    expect(ogc.validate(schema, doc)).toEqual([])
  }

  beforeAll(async () => {
    await region.startRegistry()
    const nodes = await region.addFullMesh([
      ['Stadt Arnsberg', '05958004'],
      ['Stadt Soest', '05974040']
    ])
    arnsberg = nodes[0]!
    soest = nodes[1]!
    await region.publish(
      arnsberg,
      sampleDataset({
        id: 'baenke',
        title: 'Bänke und Papierkörbe',
        description: 'Stadtmobiliar im Stadtgebiet, vermessen in ETRS89 / UTM 32N.',
        keywords: ['Stadtmobiliar'],
        themes: ['GOVE'],
        temporal: { start: '2025-01-01', end: '2025-12-31' }
      })
    )
    await upload(arnsberg, 'baenke', 'standorte', 'baenke.csv', 'text/csv', BAENKE_CSV)
    await region.publish(arnsberg, sampleDataset({ id: 'radrouten', title: 'Radrouten Arnsberg', themes: ['TRAN'], keywords: ['Rad'] }))
    await upload(arnsberg, 'radrouten', 'netz', 'radrouten.geojson', 'application/geo+json', RADROUTEN)
    await region.publish(
      arnsberg,
      sampleDataset({ id: 'wanderweg', title: 'Wanderweg Sauerland-Höhenflug', themes: ['EDUC'], keywords: ['Wandern'] })
    )
    const gpx = await fetch(`${arnsberg.node.url}/api/v1/datasets/wanderweg/distributions/track?title=wanderweg.gpx&format=GPX`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${arnsberg.token}`, 'content-type': 'application/gpx+xml' },
      body: WANDERWEG_GPX
    })
    expect(gpx.status).toBe(201)
    await region.publish(arnsberg, sampleDataset({ id: 'oeffnungszeiten', title: 'Öffnungszeiten Rathaus', keywords: ['Rathaus'] }))
    await upload(arnsberg, 'oeffnungszeiten', 'zeiten', 'zeiten.csv', 'text/csv', OHNE_KOORDINATEN)
    await region.publish(
      soest,
      sampleDataset({
        id: 'strassenschaeden',
        title: 'Straßenschäden Soest',
        themes: ['TRAN'],
        keywords: ['Straße'],
        spatial: { bbox: [8.05, 51.54, 8.17, 51.6] }
      })
    )
    await upload(soest, 'strassenschaeden', 'punkte', 'schaeden.csv', 'text/csv', SOEST_CSV)
    baenke = 'stadt-arnsberg.baenke.standorte'
    radrouten = 'stadt-arnsberg.radrouten.netz'
    ohne = 'stadt-arnsberg.oeffnungszeiten.zeiten'
    schaeden = 'stadt-soest.strassenschaeden.punkte'
    // Soest's node holds Arnsberg's entries (not its files) once the catalog synced.
    await waitFor(() => region.datasetIds(soest, arnsberg.node.peerId).length === 4, "Arnsberg's datasets at Soest")
  })

  afterAll(async () => {
    await region.close()
  })

  it("lists every Kommune's CSV and GeoJSON files as collections: `ogrinfo OAPIF:http://node/`", async () => {
    const out = await gdal('ogrinfo', ['-ro', '-q', `OAPIF:${soest.node.url}/`])
    for (const id of [baenke, radrouten, schaeden]) expect(out).toContain(id)
    // A CSV without coordinates is no collection where it is held (elsewhere the catalog's extent is all there is to go by).
    expect(await gdal('ogrinfo', ['-ro', '-q', `OAPIF:${arnsberg.node.url}/`])).not.toContain(ohne)
    const list = await get(soest, '/collections')
    valid('features/collections.yaml', list.body)
    const own = list.body.collections.find((c: any) => c.id === schaeden)
    expect(own.origin).toMatchObject({ kommune: 'Stadt Soest', publisher: soest.node.peerId })
    expect(list.body.collections.find((c: any) => c.id === baenke).origin.kommune).toBe('Stadt Arnsberg')
  })

  it("pages through a neighbour's 10,000 features and converts them to a GeoPackage through any node", async () => {
    const gpkg = join(region.root, 'baenke.gpkg')
    await gdal('ogr2ogr', ['-f', 'GPKG', gpkg, `OAPIF:${soest.node.url}/`, baenke])
    const info = await gdal('ogrinfo', ['-ro', '-so', gpkg, baenke])
    expect(info).toMatch(/Feature Count: 10000\b/)
    expect(info).toMatch(/Geometry: Point/)
    expect(info).toMatch(/Art: String/)
    expect(info).toMatch(/Hoehe_m: Real/)
    const row = await gdal('ogrinfo', [
      '-ro',
      '-q',
      gpkg,
      '-sql',
      `SELECT Nr, Art, Hoehe_m, Datum, ST_X(geom) AS x, ST_Y(geom) AS y FROM "${baenke}" WHERE Nr = 4`
    ])
    expect(row).toMatch(/Nr \(Integer\) = 4/)
    expect(row).toMatch(/Art \(String\) = Papierkorb/)
    expect(row).toMatch(/Hoehe_m \(Real\) = 203.5/)
    // The position GDAL's own PROJ gives for the surveyed Rechtswert/Hochwert.
    const projected = execFileSync('gdaltransform', ['-s_srs', 'EPSG:25832', '-t_srs', 'OGC:CRS84', '-output_xy'], {
      input: '430150 5698000\n',
      encoding: 'utf8'
    })
    const [lon, lat] = projected.trim().split(/\s+/).map(Number)
    expect(Number(/x \(Real\) = ([\d.]+)/.exec(row)![1])).toBeCloseTo(lon!, 7)
    expect(Number(/y \(Real\) = ([\d.]+)/.exec(row)![1])).toBeCloseTo(lat!, 7)
    // The answer names where the data comes from and which node served it.
    const page = await get(soest, `/collections/${baenke}/items?limit=1`, 'application/geo+json')
    expect(page.body.origin).toMatchObject({ kommune: 'Stadt Arnsberg', publisher: arnsberg.node.peerId, datasetId: 'baenke' })
  })

  it('reads items in a bbox, the same set GDAL finds in the GeoPackage', async () => {
    const spat = ['7.999', '51.44', '8.003', '51.447']
    const served = await gdal('ogrinfo', ['-ro', '-so', '-spat', ...spat, `OAPIF:${arnsberg.node.url}/`, baenke])
    const local = await gdal('ogrinfo', ['-ro', '-so', '-spat', ...spat, join(region.root, 'baenke.gpkg'), baenke])
    const count = (s: string): number => Number(/Feature Count: (\d+)/.exec(s)![1])
    expect(count(local)).toBeGreaterThan(0)
    expect(count(local)).toBeLessThan(BAENKE_ROWS)
    expect(count(served)).toBe(count(local))
    const page = await get(arnsberg, `/collections/${baenke}/items?bbox=${spat.join(',')}&limit=1000`, 'application/geo+json')
    expect(page.status).toBe(200)
    expect(page.body.numberMatched).toBe(count(local))
    valid('features/featureCollectionGeoJSON.yaml', page.body)
  })

  it('filters by property and datetime, and GDAL hands a -where to the server', async () => {
    const bins = await get(arnsberg, `/collections/${baenke}/items?Art=Papierkorb&limit=1`)
    expect(bins.body.numberMatched).toBe(Math.ceil(BAENKE_ROWS / 3))
    // Days 0–9 of the year: 10,000 rows over 365 days, the first 145 days 28 times.
    const tenDays = await get(arnsberg, `/collections/${baenke}/items?datetime=2025-01-01/2025-01-10&limit=1`)
    expect(tenDays.body.numberMatched).toBe(280)
    const open = await get(arnsberg, `/collections/${baenke}/items?datetime=../2025-01-01&limit=1`)
    expect(open.body.numberMatched).toBe(28)
    const where = await gdal('ogrinfo', ['-ro', '-so', '-where', "Art = 'Papierkorb'", `OAPIF:${arnsberg.node.url}/`, baenke])
    expect(where).toMatch(/Feature Count: 3334\b/)
    const queryables = await fetch(`${arnsberg.node.url}/collections/${baenke}/queryables`)
    expect(queryables.headers.get('content-type')).toMatch(/^application\/schema\+json/)
    expect(Object.keys(((await queryables.json()) as { properties: object }).properties)).toEqual([
      'geometry',
      'Nr',
      'Art',
      'Hoehe_m',
      'Datum'
    ])
  })

  it('answers in EPSG:25832 when asked (Part 2), bbox in any served CRS', async () => {
    const res = await get(
      arnsberg,
      `/collections/${baenke}/items/2?crs=http://www.opengis.net/def/crs/EPSG/0/25832`,
      'application/geo+json'
    )
    expect(res.headers.get('content-crs')).toBe('<http://www.opengis.net/def/crs/EPSG/0/25832>')
    expect(res.body.geometry.coordinates[0]).toBeCloseTo(430050, 3)
    expect(res.body.geometry.coordinates[1]).toBeCloseTo(5698000, 3)
    valid('features/featureGeoJSON.yaml', res.body)
    const plain = await get(arnsberg, `/collections/${baenke}/items/2`, 'application/geo+json')
    expect(plain.headers.get('content-crs')).toBe('<http://www.opengis.net/def/crs/OGC/1.3/CRS84>')
    const inUtm = await get(arnsberg, `/collections/${baenke}/items?bbox=429990,5697990,430110,5698010&bbox-crs=EPSG:25832&limit=10`)
    expect(inUtm.body.features.map((f: any) => f.id)).toEqual([1, 2, 3])
  })

  it("serves a GeoJSON file's lines, and every document validates against the OGC schemas", async () => {
    const lines = await gdal('ogrinfo', ['-ro', '-so', `OAPIF:${soest.node.url}/`, radrouten])
    expect(lines).toMatch(/Geometry: Line String/)
    expect(lines).toMatch(/Feature Count: 3\b/)
    // A GPX track and waypoint, read from its GeoJSON form.
    const track = await gdal('ogrinfo', ['-ro', '-al', `OAPIF:${soest.node.url}/`, 'stadt-arnsberg.wanderweg.track'])
    expect(track).toMatch(/Feature Count: 2\b/)
    expect(track).toMatch(/LINESTRING \(8\.061 51\.401,8\.082 51\.395,8\.101 51\.388\)/)
    expect(track).toMatch(/name \(String\) = Schutzhütte/)
    valid('features/landingPage.yaml', (await get(soest, '/')).body)
    valid('features/confClasses.yaml', (await get(soest, '/conformance')).body)
    valid('features/collection.yaml', (await get(soest, `/collections/${radrouten}`)).body)
    valid('features/featureCollectionGeoJSON.yaml', (await get(soest, `/collections/${radrouten}/items`)).body)
    valid('features/featureGeoJSON.yaml', (await get(soest, `/collections/${radrouten}/items/3`)).body)
    // The validator is not a yes-man.
    expect(ogc.validate('features/featureGeoJSON.yaml', { type: 'Feature', geometry: { type: 'Point' }, properties: {} })).not.toEqual([])
    const api = await fetch(`${soest.node.url}/api`)
    expect(api.headers.get('content-type')).toBe('application/vnd.oai.openapi+json;version=3.0')
    const doc = (await api.json()) as any
    expect(doc.paths[`/collections/${schaeden}/items`].get.parameters.map((p: any) => p.name ?? p.$ref)).toContain('schadensart')
    // A browser still gets the web UI at /.
    const html = await fetch(`${soest.node.url}/`, { headers: { accept: 'text/html' } })
    expect(html.headers.get('content-type')).toMatch(/^text\/html/)
  })

  it('answers bad input with the OGC exception and a 4xx', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [`/collections/${baenke}/items?bbox=200,51,201,52`, 400, /bbox/],
      [`/collections/${baenke}/items?bbox=8,52,7,51`, 400, /bbox/],
      [`/collections/${baenke}/items?bbox=a,b,c`, 400, /bbox/],
      ['/collections/stadt-arnsberg.gibt-es-nicht.x/items', 404, /gibt-es-nicht/],
      ['/collections/unbekannt/items', 404, /no collection/],
      [`/collections/${baenke}/items?limit=1000000000`, 400, /limit/],
      [`/collections/${baenke}/items?limit=0`, 400, /limit/],
      [`/collections/${ohne}/items`, 422, /no coordinate columns/],
      [`/collections/${baenke}/items?crs=EPSG:9999`, 400, /crs/],
      [`/collections/${baenke}/items?datetime=gestern`, 400, /datetime/],
      [`/collections/${baenke}/items?Farbe=rot`, 400, /Farbe/],
      [`/collections/${baenke}/items/0`, 404, /no feature 0/],
      [`/collections/${baenke}/items/10001`, 404, /no feature 10001/],
      ['/collections/catalog/items?limit=101', 400, /limit/],
      ['/collections/catalog/items?sortby=title', 400, /sortby/]
    ]
    for (const [path, status, message] of cases) {
      const res = await get(arnsberg, path)
      expect({ path, status: res.status }).toEqual({ path, status })
      expect(res.body.description).toMatch(message)
      valid('features/exception.yaml', res.body)
    }
  })

  it('offers the regional catalog as OGC API Records with provenance', async () => {
    const found = await get(soest, '/collections/catalog/items?q=B%C3%A4nke&limit=5', 'application/geo+json')
    valid('records/recordCollectionGeoJSON.yaml', found.body)
    expect(found.body.features).toHaveLength(1)
    const record = found.body.features[0]
    expect(record.id).toBe('stadt-arnsberg.baenke')
    expect(record.provenance).toMatchObject({ publisher: arnsberg.node.peerId, kommune: 'Stadt Arnsberg' })
    expect(record.time).toEqual({ interval: ['2025-01-01', '2025-12-31'] })
    expect(record.links.find((l: any) => l.rel === 'item').href).toBe(`${soest.node.url}/collections/${baenke}`)
    expect(record.links.find((l: any) => l.rel === 'enclosure').href).toMatch(/\/distributions\/standorte\/baenke\.csv$/)
    const inSoest = await get(soest, '/collections/catalog/items?bbox=8.1,51.55,8.12,51.58')
    expect(inSoest.body.features.map((f: any) => f.id)).toEqual(['stadt-soest.strassenschaeden'])
    // Only Bänke's coverage ends in 2025; the others (sample coverage 2025–2026) reach 2026.
    const in2026 = await get(soest, '/collections/catalog/items?datetime=2026-06-01/..&limit=100')
    expect(in2026.body.features.map((f: any) => f.id).sort()).toEqual([
      'stadt-arnsberg.oeffnungszeiten',
      'stadt-arnsberg.radrouten',
      'stadt-arnsberg.wanderweg',
      'stadt-soest.strassenschaeden'
    ])
    const one = await get(arnsberg, '/collections/catalog/items/stadt-soest.strassenschaeden')
    valid('records/recordGeoJSON.yaml', one.body)
    expect(one.body.properties.title).toBe('Straßenschäden Soest')
    const records = await gdal('ogrinfo', ['-ro', '-so', `OAPIF:${soest.node.url}/`, 'catalog'])
    expect(records).toMatch(/Feature Count: 5\b/)
  })

  it("answers for the whole region: a bbox over Südwestfalen returns every Kommune's features, with per-node status", async () => {
    const all = await get(arnsberg, '/collections/region/items?bbox=7.9,51.35,8.2,51.6&limit=1000', 'application/geo+json')
    valid('features/featureCollectionGeoJSON.yaml', all.body)
    const kommunen = new Set(all.body.features.map((f: any) => f.properties.herkunft_kommune))
    expect(kommunen).toEqual(new Set(['Stadt Arnsberg', 'Stadt Soest']))
    expect(all.body.nodes.map((n: any) => n.status).sort()).toEqual(['answered', 'local'])
    // Arnsberg's surveyed benches (Rechtswert/Hochwert) come back as lon/lat points too.
    const bench = all.body.features.find((f: any) => f.properties.herkunft_collection === baenke)
    expect(bench.geometry.coordinates[0]).toBeGreaterThan(7.9)
    expect(bench.geometry.coordinates[1]).toBeGreaterThan(51.35)
    expect(all.body.truncated).toBe(true)
    const soestPoints = all.body.features.filter((f: any) => f.origin.kommune === 'Stadt Soest')
    expect(soestPoints.map((f: any) => f.geometry.coordinates)).toContainEqual([8.1062, 51.5712])
    // The data query as GeoJSON: GDAL reads it as it is.
    const geojson = await gdal('ogrinfo', [
      '-ro',
      '-al',
      '-so',
      `GeoJSON:${arnsberg.node.url}/api/v1/query?bbox=8.05,51.54,8.17,51.6&f=geojson`
    ])
    expect(geojson).toMatch(/Feature Count: 3\b/)
    const region2 = await gdal('ogrinfo', ['-ro', '-so', '-spat', '8.05', '51.54', '8.17', '51.6', `OAPIF:${arnsberg.node.url}/`, 'region'])
    expect(region2).toMatch(/Feature Count: 3\b/)
  })

  it("runs the README's GDAL commands as printed (with the test node's address)", async () => {
    const lines = readmeCommands().filter(l => /^(ogrinfo|ogr2ogr) /.test(l))
    expect(lines).toHaveLength(5)
    const cwd = tempDir('swf-readme-gdal-')
    const outputs: string[] = []
    for (const line of lines) {
      const { stdout } = await run('bash', ['-c', line.replaceAll('http://127.0.0.1:8080', arnsberg.node.url)], { cwd, maxBuffer: 1 << 26 })
      outputs.push(stdout)
    }
    expect(outputs[0]).toContain(baenke)
    expect(await gdal('ogrinfo', ['-ro', '-so', join(cwd, 'baenke.gpkg'), baenke])).toMatch(/Feature Count: 10000\b/)
    expect(Number(/Feature Count: (\d+)/.exec(outputs[2]!)![1])).toBeGreaterThan(0)
    expect(outputs[3]).toMatch(/Feature Count: 3334\b/)
    expect(outputs[4]).toMatch(/Feature Count: 3\b/)
    rmSync(cwd, { recursive: true, force: true })
  })

  it('ends every download URL in a file name with its extension and media type: GDAL opens it without a prefix', async () => {
    const ds = await get(soest, `/api/v1/catalog/${arnsberg.node.peerId}/baenke`)
    expect(ds.status).toBe(200)
    const url = `${soest.node.url}/api/v1/catalog/${arnsberg.node.peerId}/baenke/distributions/standorte/baenke.csv`
    const head = await fetch(url, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-type')).toMatch(/^text\/csv/)
    const info = await gdal('ogrinfo', ['-ro', '-al', '-so', `/vsicurl/${url}`])
    expect(info).toMatch(/Feature Count: 10000\b/)
    const wrong = await fetch(`${soest.node.url}/api/v1/catalog/${arnsberg.node.peerId}/baenke/distributions/standorte/other.csv`)
    expect(wrong.status).toBe(404)
    expect(((await wrong.json()) as any).error.message).toMatch(/baenke\.csv/)
    const dcat = await (await fetch(`${soest.node.url}/catalog.ttl?scope=region`)).text()
    expect(dcat).toContain('/distributions/standorte/baenke.csv>')
    // Uploaded as application/octet-stream with format CSV: served as what it is.
    const res = await fetch(`${arnsberg.node.url}/api/v1/datasets/oeffnungszeiten/distributions/roh?title=roh.csv&format=CSV`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${arnsberg.token}`, 'content-type': 'application/octet-stream' },
      body: OHNE_KOORDINATEN
    })
    expect(res.status).toBe(201)
    const raw = await fetch(`${arnsberg.node.url}/api/v1/datasets/oeffnungszeiten/distributions/roh/roh.csv`)
    expect(raw.headers.get('content-type')).toMatch(/^text\/csv/)
  })
})
