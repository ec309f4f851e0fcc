import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gpx, kml } from '@tmcw/togeojson'
import { DOMParser } from '@xmldom/xmldom'
import { NoFeaturesError, TooManyFeaturesError } from './feature-file.js'

// KML and GPX files (tracks, routes, placemarks: what GPS devices and Google
// Earth write) as collections: converted once to GeoJSON by togeojson, kept
// beside the blobs by the source's hash, and served from there like any
// GeoJSON file. The source is read whole (XML has no streaming DOM), so
// only files up to MAX_CONVERTED_BYTES are converted.

/** Largest KML or GPX file converted. */
export const MAX_CONVERTED_BYTES = 64 * 1024 * 1024
export const CONVERTED_FORMATS = ['KML', 'GPX'] as const

export const isConverted = (format: string): format is (typeof CONVERTED_FORMATS)[number] =>
  (CONVERTED_FORMATS as readonly string[]).includes(format)

/** Where the GeoJSON form of a file is kept. */
export const convertedPathOf = (dir: string, sha256: string): string => join(dir, `${sha256}.geojson`)

/** The GeoJSON form of a KML or GPX file, converted on first use; returns its path. */
export async function convertedGeoJson(
  source: string,
  sha256: string,
  format: (typeof CONVERTED_FORMATS)[number],
  dir: string
): Promise<string> {
  const target = convertedPathOf(dir, sha256)
  if (
    await stat(target).then(
      () => true,
      () => false
    )
  )
    return target
  const size = (await stat(source)).size
  if (size > MAX_CONVERTED_BYTES) {
    throw new TooManyFeaturesError(`the ${format} file has ${size} bytes; files up to ${MAX_CONVERTED_BYTES} bytes are served as items`)
  }
  const errors: string[] = []
  let doc: ReturnType<DOMParser['parseFromString']>
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message)
      }
    }).parseFromString(await readFile(source, 'utf8'), 'text/xml')
  } catch (err) {
    errors.push((err as Error).message)
  }
  if (errors.length > 0) throw new NoFeaturesError(`the ${format} file is not well-formed XML: ${errors[0]!.split('\n')[0]!}`)
  const collection = format === 'KML' ? kml(doc!) : gpx(doc!)
  if (collection.features.length === 0) throw new NoFeaturesError(`the ${format} file holds no placemarks, tracks, routes or waypoints`)
  await mkdir(dir, { recursive: true })
  // Written whole, then renamed: a reader never sees half a file.
  const tmp = `${target}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(collection))
  await rename(tmp, target)
  return target
}
