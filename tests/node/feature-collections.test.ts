import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { DatasetMetadata } from '@swf/protocol'
import { CRS84 } from '@swf/node/spatial/crs'
import { FeatureCollections, MAX_CONCURRENT_INDEX_BUILDS } from '@swf/node/features/feature-collections'
import { tempDir } from '../helpers/node.js'

// What an anonymous client can make a node spend through OGC API items:
// index builds run two at a time, kept indexes stay within their budget.

const dir = tempDir('swf-collections-')
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

const ROWS = 40_000
const files: string[] = Array.from({ length: 6 }, (_, k) => {
  const path = join(dir, `f${k}.csv`)
  writeFileSync(path, 'lat;lon;n\n' + Array.from({ length: ROWS }, (_, i) => `51.${i};8.${k};${i}`).join('\n'))
  return path
})
const sha = (k: number): string => String(k).padStart(64, '0')
const GPX = `<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Rothaarsteig</name><trkseg><trkpt lat="51.07" lon="8.34"><time>2025-05-01T10:00:00Z</time></trkpt><trkpt lat="51.05" lon="8.37"/></trkseg></trk>
<wpt lat="51.0" lon="8.3"><name>Hütte</name></wpt></gpx>`
files.push(join(dir, 'track.gpx'), join(dir, 'broken.kml'))
writeFileSync(files[6]!, GPX)
writeFileSync(files[7]!, '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><Point><coordinates>8,51</coordinates></Point>')
const dataset = (k: number, format = 'CSV'): DatasetMetadata => ({
  id: `d${k}`,
  title: `D${k}`,
  description: 'x',
  keywords: [],
  themes: [],
  license: 'dl-by-de/2.0',
  distributions: [{ id: 'csv', title: 'f', format, mediaType: 'text/csv', license: 'dl-by-de/2.0', sha256: sha(k), byteSize: 1 }]
})

describe('feature collections under load', () => {
  const collections = new FeatureCollections({
    // Listing is not what these tests ask: the catalog is not needed.
    regional: undefined as never,
    search: undefined as never,
    nameOf: p => p,
    peerOf: n => n,
    self: 'self',
    convertedDir: join(dir, 'converted'),
    heldPath: s => Promise.resolve(files[Number(s)]),
    localFile: (_p, datasetId) => Promise.resolve({ path: files[Number(datasetId.slice(1))]!, source: 'local' }),
    cacheBytes: 3 * 1024 * 1024
  })
  const infos = files.slice(0, 6).map((_, k) => collections.forDistribution('self', 'Test', dataset(k), 'csv'))

  it('builds at most two indexes at once, and keeps indexes within the cache budget', async () => {
    let most = 0
    let sampling = true
    const sample = (): void => {
      most = Math.max(most, collections.buildsRunning)
      if (sampling) setImmediate(sample)
    }
    sample()
    const pages = await Promise.all(infos.map(async c => collections.items(c, { properties: [], limit: 5, offset: 0, crs: CRS84 })))
    sampling = false
    expect(pages.map(p => p.numberMatched)).toEqual(infos.map(() => ROWS))
    expect(most).toBe(MAX_CONCURRENT_INDEX_BUILDS)
    // One index takes 56 bytes per feature (2.2 MB here): the budget of 3 MB keeps one.
    expect(collections.cachedBytes).toBeLessThanOrEqual(3 * 1024 * 1024)
    expect(collections.cachedBytes).toBe(ROWS * 56)
  })

  it('serves a GPX file as features, converted once, and refuses a broken KML', async () => {
    const track = collections.forDistribution('self', 'Test', dataset(6, 'GPX'), 'csv')
    const page = await collections.items(track, { properties: [], limit: 10, offset: 0, crs: CRS84 })
    expect(page.numberMatched).toBe(2)
    expect(page.features.map(f => f.geometry?.type)).toEqual(['LineString', 'Point'])
    expect(page.features[0]!.properties.name).toBe('Rothaarsteig')
    expect(page.index.timeExtent).toEqual(['2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z'])
    expect(existsSync(join(dir, 'converted', `${sha(6)}.geojson`))).toBe(true)
    const broken = collections.forDistribution('self', 'Test', dataset(7, 'KML'), 'csv')
    await expect(collections.items(broken, { properties: [], limit: 10, offset: 0, crs: CRS84 })).rejects.toThrow(/not well-formed XML/)
  })
})
