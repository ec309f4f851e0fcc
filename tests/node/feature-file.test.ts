import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CRS84, EPSG_25832, EPSG_4326, transformer, type Crs } from '@swf/node/spatial/crs'
import { indexFeatureFile, NoFeaturesError, readFeatures, TooManyFeaturesError, type FeatureIndex } from '@swf/node/features/feature-file'
import { tempDir } from '../helpers/node.js'
import { rmSync } from 'node:fs'

// The file reader behind OGC API items: one streaming pass builds the index,
// a page reads its features by byte range. What it reads must be exactly
// what a whole-file parser reads, wherever the reads cut the file.

const dir = tempDir('swf-features-')
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})
const file = (name: string, text: string): string => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
const all = async (path: string, index: FeatureIndex, crs: Crs = CRS84) =>
  readFeatures(
    path,
    index,
    Array.from({ length: index.count }, (_, i) => i),
    crs
  )

/** A deterministic pseudo-random stream (mulberry32). */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const NASTY = ['"', '\\', '{', '}', '[', ']', ',', ':', 'ä', '€', '𝄞', '\n', '\u2028', 'features', '"features":[', '}]}', ' ']

describe('feature files', () => {
  it('reads back every feature of a GeoJSON file exactly as JSON.parse does, wherever the reads cut it', async () => {
    const next = random(7)
    const word = (): string => Array.from({ length: Math.floor(next() * 6) }, () => NASTY[Math.floor(next() * NASTY.length)]).join('')
    const features = Array.from({ length: 300 }, (_, i) => ({
      type: 'Feature',
      geometry:
        i % 3 === 0
          ? { type: 'Point', coordinates: [7 + next(), 51 + next()] }
          : i % 3 === 1
            ? {
                type: 'LineString',
                coordinates: [
                  [7 + next(), 51 + next()],
                  [7 + next(), 51 + next()]
                ]
              }
            : null,
      properties: { [word() || 'k']: word(), n: i, nested: { a: [word(), { b: word() }] } }
    }))
    // Members before and after "features", a "features" key inside a property, whitespace everywhere.
    const text = `{ "type" : "FeatureCollection", "name": "x\\"features\\"", "meta": {"features": [1,2]},\n "features" : [\n${features
      .map(f => JSON.stringify(f, null, next() > 0.5 ? 1 : 0))
      .join(' ,\n ')}\n ], "after": {"features": []} }`
    const path = file('nasty.geojson', text)
    for (const chunkBytes of [1, 7, 64, 4096]) {
      const index = await indexFeatureFile(path, 'GEOJSON', { chunkBytes })
      expect(index.count).toBe(300)
      const read = await all(path, index)
      expect(read.map(f => f.properties)).toEqual(features.map(f => f.properties))
      expect(read.map(f => f.geometry)).toEqual(features.map(f => f.geometry))
      expect(read.map(f => f.id)).toEqual(features.map((_, i) => i + 1))
    }
  })

  it('reads CSV rows with BOM, quoted line breaks, empty lines, decimal commas and Rechtswert/Hochwert', async () => {
    const path = file(
      'utm.csv',
      '\ufeffNr;Rechtswert;Hochwert;Art;Wert\r\n1;421500;5714000;"Bank\r\nmit Lehne";1,5\r\n\r\n2;421600,5;5714100;"""Zitat""";\r\n3;;;ohne Ort;2\r\n'
    )
    const index = await indexFeatureFile(path, 'CSV', { chunkBytes: 5 })
    expect(index.count).toBe(3)
    expect(index.crs).toBe(EPSG_25832)
    expect(index.properties).toEqual([
      { name: 'Nr', type: 'integer' },
      { name: 'Art', type: 'string' },
      { name: 'Wert', type: 'number' }
    ])
    const read = await all(path, index, EPSG_25832)
    expect(read.map(f => f.properties)).toEqual([
      { Nr: 1, Art: 'Bank\r\nmit Lehne', Wert: 1.5 },
      { Nr: 2, Art: '"Zitat"', Wert: null },
      { Nr: 3, Art: 'ohne Ort', Wert: 2 }
    ])
    expect(read[1]!.geometry!.coordinates).toEqual([421600.5, 5714100])
    expect(read[2]!.geometry).toBeNull()
    // In CRS84 and in EPSG:4326 (latitude first), the same point.
    const [lon, lat] = transformer(EPSG_25832, CRS84)([421500, 5714000])
    expect((await readFeatures(path, index, [0], CRS84))[0]!.geometry!.coordinates).toEqual([lon, lat])
    expect((await readFeatures(path, index, [0], EPSG_4326))[0]!.geometry!.coordinates).toEqual([lat, lon])
    expect(Number.isNaN(index.boxes[8])).toBe(true)
  })

  it('refuses what holds no features, and more features than it serves', async () => {
    await expect(indexFeatureFile(file('none.csv', 'tag;von\nMontag;8\n'), 'CSV')).rejects.toBeInstanceOf(NoFeaturesError)
    await expect(indexFeatureFile(file('list.geojson', '[1,2,3]'), 'GEOJSON')).rejects.toBeInstanceOf(NoFeaturesError)
    await expect(
      indexFeatureFile(file('bad.geojson', '{"type":"FeatureCollection","features":[{"type":"Feature",]}'), 'GEOJSON')
    ).rejects.toThrow(/not valid JSON/)
    await expect(
      indexFeatureFile(file('cut.geojson', '{"type":"FeatureCollection","features":[{"type":"Feature"'), 'GEOJSON')
    ).rejects.toThrow(/not complete JSON/)
    const many = file('many.csv', 'lat;lon\n' + '51;8\n'.repeat(11))
    await expect(indexFeatureFile(many, 'CSV', { maxFeatures: 10 })).rejects.toBeInstanceOf(TooManyFeaturesError)
    expect((await indexFeatureFile(many, 'CSV', { maxFeatures: 11 })).count).toBe(11)
  })
})
