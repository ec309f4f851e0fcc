import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONVERSION_LIMITS, conversionCounts, convertedGeoJson, convertedPathOf, failedPathOf } from '@swf/node/features/converted-file'
import { NoFeaturesError, TooManyFeaturesError } from '@swf/node/features/feature-file'
import { startTestNode, tempDir, type TestNode } from '../helpers/node.js'
import { waitFor } from '../helpers/region.js'

// A KML or GPX file is converted on a worker thread bounded in bytes,
// estimated DOM size, heap, time and features; a failure is kept beside
// the converted files and answered again without converting; and items
// requests are rated per client address. The hostile files are generated
// here, a few MB each (the full-size ones belong to the bench).

/** A GPS track as devices write it: a point per second with height and time (about 120 bytes a point). */
const track = (points: number): string =>
  '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="GPS" xmlns="http://www.topografix.com/GPX/1/1">\n' +
  ' <trk><name>Rothaarsteig</name><trkseg>\n' +
  Array.from(
    { length: points },
    (_, i) =>
      `  <trkpt lat="51.${String(100_000 + i).slice(1)}" lon="8.${String(100_000 + i).slice(1)}">\n` +
      `   <ele>${300 + (i % 100)}.4</ele>\n   <time>${new Date(Date.UTC(2025, 5, 1) + i * 1000).toISOString()}</time>\n  </trkpt>\n`
  ).join('') +
  ' </trkseg></trk>\n <wpt lat="51.0" lon="8.3"><name>Hütte</name></wpt>\n</gpx>\n'
/** The attack: bare points, 33 bytes each, whose DOM takes 45 times the file. */
const bareTrack = (points: number): string =>
  '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>' +
  '<trkpt lat="51.1" lon="8.1"/>'.repeat(points) +
  '</trkseg></trk></gpx>'
/** Well-formed KML without a single placemark. */
const emptyKml = (folders: number): string =>
  '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>' + '<Folder><name>n</name></Folder>'.repeat(folders) + '</Document></kml>'
const waypoints = (n: number): string =>
  '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">' +
  Array.from({ length: n }, (_, i) => `<wpt lat="51.${i}" lon="8.${i}"><name>P${i}</name></wpt>`).join('') +
  '</gpx>'

describe('converting a KML or GPX file', () => {
  const dir = tempDir('swf-convert-')
  const out = join(dir, 'converted')
  let n = 0
  /** A source file of its own (its own "hash"), so that no case sees another's result. */
  const file = (text: string, ext: string): { path: string; sha: string } => {
    const sha = `f${++n}`
    const path = join(dir, `${sha}.${ext}`)
    writeFileSync(path, text)
    return { path, sha }
  }
  const failure = async (p: Promise<unknown>): Promise<Error> =>
    p.then(
      () => {
        throw new Error('converted, but should have been refused')
      },
      (err: unknown) => err as Error
    )

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses a file whose DOM cannot fit before parsing it, keeps the failure and answers it again without converting', async () => {
    // 60,000 bare points: 2 MB of file, about 90 MiB of DOM.
    const { path, sha } = file(bareTrack(60_000), 'gpx')
    const limits = { maxMemoryMb: 32 }
    const before = conversionCounts().started
    const first = await failure(convertedGeoJson(path, sha, 'GPX', out, limits))
    expect(first).toBeInstanceOf(TooManyFeaturesError)
    expect(first.message).toMatch(/needs about \d+ MiB to convert; at most 32 MiB/)
    expect(conversionCounts().started).toBe(before + 1)
    expect(existsSync(failedPathOf(out, sha))).toBe(true)
    expect(existsSync(convertedPathOf(out, sha))).toBe(false)
    // Asked again: the same answer, read from the kept failure (as after a restart), no conversion.
    const again = await failure(convertedGeoJson(path, sha, 'GPX', out, limits))
    expect(again).toBeInstanceOf(TooManyFeaturesError)
    expect(again.message).toBe(first.message)
    expect(conversionCounts()).toEqual({ started: before + 1, running: 0 })
  })

  it('ends a worker that runs out of its heap, and the node lives on', async () => {
    const { path, sha } = file(track(100), 'gpx')
    // 4 MiB is less than the worker needs to load togeojson at all.
    const err = await failure(convertedGeoJson(path, sha, 'GPX', out, { maxMemoryMb: 4 }))
    expect(err).toBeInstanceOf(TooManyFeaturesError)
    expect(err.message).toBe('the GPX file needs more than 4 MiB to convert')
    // Other limits are another try: this one converts.
    expect(await convertedGeoJson(path, sha, 'GPX', out, { maxMemoryMb: 64 })).toBe(convertedPathOf(out, sha))
    expect(existsSync(failedPathOf(out, sha))).toBe(false)
  })

  it('ends a conversion past its time, and remembers that until restart without keeping it on disk', async () => {
    const { path, sha } = file(track(20_000), 'gpx')
    const before = conversionCounts().started
    const err = await failure(convertedGeoJson(path, sha, 'GPX', out, { timeoutMs: 1 }))
    expect(err).toBeInstanceOf(TooManyFeaturesError)
    expect(err.message).toBe('the GPX file took longer than 0.001 s to convert')
    // A busy machine is no property of the file: not kept on disk, but not tried again by this process.
    expect(existsSync(failedPathOf(out, sha))).toBe(false)
    expect((await failure(convertedGeoJson(path, sha, 'GPX', out, { timeoutMs: 1 }))).message).toBe(err.message)
    expect(conversionCounts().started).toBe(before + 1)
  })

  it('counts features against the cap, and refuses what is no KML or GPX for good', async () => {
    const many = file(waypoints(5), 'gpx')
    const capped = await failure(convertedGeoJson(many.path, many.sha, 'GPX', out, { maxFeatures: 3 }))
    expect(capped).toBeInstanceOf(TooManyFeaturesError)
    expect(capped.message).toBe('the GPX file holds more than 3 features')
    expect(existsSync(convertedPathOf(out, many.sha))).toBe(false)
    const empty = file(emptyKml(100), 'kml')
    const none = await failure(convertedGeoJson(empty.path, empty.sha, 'KML', out))
    expect(none).toBeInstanceOf(NoFeaturesError)
    expect(none.message).toMatch(/holds no placemarks/)
    // Whatever the limits: a file without features stays one, answered without converting.
    const before = conversionCounts().started
    expect(await failure(convertedGeoJson(empty.path, empty.sha, 'KML', out, { maxFeatures: 10 }))).toBeInstanceOf(NoFeaturesError)
    expect(conversionCounts().started).toBe(before)
  })

  it('converts a file asked for by many at once only once, and refuses one above the byte cap unread', async () => {
    const { path, sha } = file(waypoints(3), 'gpx')
    const before = conversionCounts().started
    const paths = await Promise.all(Array.from({ length: 5 }, async () => convertedGeoJson(path, sha, 'GPX', out)))
    expect(new Set(paths)).toEqual(new Set([convertedPathOf(out, sha)]))
    expect(conversionCounts().started).toBe(before + 1)
    const big = file(waypoints(3), 'gpx')
    const err = await failure(convertedGeoJson(big.path, big.sha, 'GPX', out, { maxBytes: 100 }))
    expect(err.message).toMatch(/has \d+ bytes; KML and GPX files up to 100 bytes are converted/)
    expect(conversionCounts().started).toBe(before + 1)
  })
})

describe('KML and GPX items on a running node', () => {
  let t: TestNode
  const collection = (id: string): string => `/collections/stadt-arnsberg.${id}.datei/items`
  const publish = async (id: string, format: 'GPX' | 'KML', body: string): Promise<void> => {
    const ds = await t.api('/api/v1/datasets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, title: `Datei ${id}`, description: 'Konvertierung', license: 'dl-by-de/2.0' })
    })
    expect(ds.status).toBe(201)
    const up = await t.api(`/api/v1/datasets/${id}/distributions/datei?title=${id}.${format.toLowerCase()}&format=${format}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body
    })
    expect(up.status).toBe(201)
  }

  beforeAll(async () => {
    t = await startTestNode()
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('answers /health while a track converts, without the conversion in its own heap', async () => {
    // 40,000 points (4.7 MB): converts within the limits, its DOM (about 200 MB) on the worker's heap.
    await publish('strecke', 'GPX', track(40_000))
    const heapBefore = process.memoryUsage().heapUsed
    const before = conversionCounts().started
    const items = t.api(`${collection('strecke')}?limit=1`, { auth: false })
    await waitFor(() => conversionCounts().running === 1, 'the conversion to start', 30_000, 5)
    const health = await t.api('/health', { auth: false })
    // Answered while the worker still converts: the event loop is free.
    expect(conversionCounts().running).toBe(1)
    expect(health.status).toBe(200)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024)
    const page = await (await items).json()
    expect(page.numberMatched).toBe(2)
    expect(page.features[0].geometry.coordinates).toHaveLength(40_000)
    expect(conversionCounts()).toEqual({ started: before + 1, running: 0 })
  })

  it('answers a hostile file with 413 once converted, and again without converting, also after a restart', async () => {
    // 1 MiB below the byte cap, about 700 MiB as a DOM.
    await publish('angriff', 'GPX', bareTrack(Math.floor((CONVERSION_LIMITS.maxBytes - 1024 * 1024) / 29)))
    await publish('leer', 'KML', emptyKml(10_000))
    const before = conversionCounts().started
    const hostile = await t.api(collection('angriff'), { auth: false })
    expect(hostile.status).toBe(413)
    const body = await hostile.json()
    expect(body).toMatchObject({ code: 'PayloadTooLarge' })
    expect(body.description).toMatch(/the GPX file needs about \d+ MiB to convert; at most 512 MiB are given/)
    const empty = await t.api(collection('leer'), { auth: false })
    expect(empty.status).toBe(422)
    expect((await empty.json()).description).toMatch(/holds no placemarks/)
    expect(conversionCounts().started).toBe(before + 2)
    for (let i = 0; i < 3; i++) {
      expect((await t.api(collection('angriff'), { auth: false })).status).toBe(413)
      expect((await t.api(collection('leer'), { auth: false })).status).toBe(422)
    }
    await t.restart()
    expect((await t.api(collection('angriff'), { auth: false })).status).toBe(413)
    expect((await t.api(collection('leer'), { auth: false })).status).toBe(422)
    expect(conversionCounts().started).toBe(before + 2)
  })
})

describe('items requests per client address', () => {
  let t: TestNode
  const items = '/collections/stadt-arnsberg.punkte.datei/items'
  const status = async (path: string): Promise<number> => (await t.api(path, { auth: false })).status

  beforeAll(async () => {
    // Hardly any refill: what passes is what the burst of 800 allows.
    t = await startTestNode({ http: { host: '127.0.0.1', port: 0, itemsPerMinute: 1, itemsBurst: 800 } })
    const ds = await t.api('/api/v1/datasets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'punkte', title: 'Punkte', description: 'Rate', license: 'dl-by-de/2.0' })
    })
    expect(ds.status).toBe(201)
    const up = await t.api('/api/v1/datasets/punkte/distributions/datei?title=punkte.gpx&format=GPX', {
      method: 'PUT',
      headers: { 'content-type': 'application/gpx+xml' },
      body: waypoints(5)
    })
    expect(up.status).toBe(201)
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('counts a new property filter as 600 and a page by its size, then answers 429 with Retry-After', async () => {
    // A new filter: 1 for the page and 600 for reading the file; 199 left.
    expect(await status(`${items}?name=P3`)).toBe(200)
    // The same filter again reads only its kept matches, as GDAL paging through them does: 1; 198 left.
    expect(await status(`${items}?name=P3&offset=0`)).toBe(200)
    const refused = async (path: string): Promise<void> => {
      const r = await t.api(path, { auth: false })
      expect(r.status).toBe(429)
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      const body = await r.json()
      expect(body.code).toBe('TooManyRequests')
      expect(body.description).toMatch(/too many items requests from 127\.0\.0\.1: 1 per minute/)
    }
    await refused(`${items}?name=P1`)
    // 10,000 features count 100: once more fits, twice not.
    expect(await status(`${items}?limit=10000`)).toBe(200)
    await refused(`${items}?limit=10000`)
    // Small pages and single features still pass, 1 each.
    expect(await status(`${items}?limit=100`)).toBe(200)
    expect(await status(`${items}/1`)).toBe(200)
    // The catalog's records and the rest of the node are not counted so.
    expect(await status('/collections/catalog/items')).toBe(200)
    expect(await status('/health')).toBe(200)
  })
})
