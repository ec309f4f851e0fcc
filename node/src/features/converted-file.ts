import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { MAX_FEATURE_BYTES, MAX_INDEXED_FEATURES, NoFeaturesError, TooManyFeaturesError } from './feature-file.js'

// KML and GPX files (tracks, routes, placemarks: what GPS devices and Google
// Earth write) as collections: converted once to GeoJSON by togeojson, kept
// beside the blobs by the source's hash, and served from there like any
// GeoJSON file. togeojson needs the whole document as a DOM, which takes
// 40–70 times the file's bytes, so a conversion runs on a worker thread with
// its own heap limit and a time limit: a hostile file costs that thread, not
// the node's event loop or memory. A file that failed to convert is not
// converted again: its failure is kept beside where the GeoJSON would be.

export interface ConversionLimits {
  /** Larger files are refused before they are read. */
  maxBytes: number
  /** More features than this end the conversion (the index would refuse them anyway). */
  maxFeatures: number
  /** The worker's heap (V8 old generation); a document whose DOM needs more ends it. */
  maxMemoryMb: number
  /** The worker is ended after this long. */
  timeoutMs: number
}

export const CONVERSION_LIMITS: ConversionLimits = {
  // A DOM takes 40 (GPS tracks) to 70 (bare elements) times its file: 512 MiB hold about 10 MB of track.
  // Larger files are refused unread; those between, by their DOM's estimate (convert-worker.js), in a second.
  maxBytes: 16 * 1024 * 1024,
  maxFeatures: MAX_INDEXED_FEATURES,
  maxMemoryMb: 512,
  // A 7 MB track of 200,000 points converts in about 6 s on one core.
  timeoutMs: 30_000
}
/** Conversions running at once: each may take its whole heap limit. The others wait in order. */
export const MAX_CONCURRENT_CONVERSIONS = 1
/** Failures of conversions that ran out of time, remembered until restart (bounded). */
const MAX_REMEMBERED_TIMEOUTS = 10_000

export const CONVERTED_FORMATS = ['KML', 'GPX'] as const
type ConvertedFormat = (typeof CONVERTED_FORMATS)[number]

export const isConverted = (format: string): format is ConvertedFormat => (CONVERTED_FORMATS as readonly string[]).includes(format)

/** Where the GeoJSON form of a file is kept. */
export const convertedPathOf = (dir: string, sha256: string): string => join(dir, `${sha256}.geojson`)
/** Where a failed conversion's error is kept, so that the file is not converted again. */
export const failedPathOf = (dir: string, sha256: string): string => join(dir, `${sha256}.failed.json`)

/** What was kept of a failed conversion, and under which limits (other limits convert again). */
interface Failure {
  error: 'NoFeaturesError' | 'TooManyFeaturesError'
  message: string
  limits: ConversionLimits
}

type WorkerAnswer =
  | { kind: 'done'; features: number }
  | { kind: 'refused'; reason: 'xml' | 'invalid' | 'empty' | 'too_many'; message: string }
  | { kind: 'error'; message: string }

const stats = { started: 0, running: 0 }
/** Conversions under way, by target: a second caller waits for the first. */
const underWay = new Map<string, Promise<string>>()
/** Timeouts are no property of the file (the machine may have been busy): kept in memory only, so a restart tries again. */
const timedOut = new Map<string, Failure>()
let running = 0
const waiting: Array<() => void> = []

/** Conversions started since the process began, and running now (for tests and metrics). */
export function conversionCounts(): { started: number; running: number } {
  return { ...stats }
}

/**
 * The GeoJSON form of a KML or GPX file, converted on first use; returns its
 * path. NoFeaturesError (not XML, no features) or TooManyFeaturesError
 * (beyond a limit), the same again without converting when asked again.
 */
export async function convertedGeoJson(
  source: string,
  sha256: string,
  format: ConvertedFormat,
  dir: string,
  limits: Partial<ConversionLimits> = {}
): Promise<string> {
  const bounds: ConversionLimits = { ...CONVERSION_LIMITS, ...definedOnly(limits) }
  const target = convertedPathOf(dir, sha256)
  if (await exists(target)) return target
  const known = timedOut.get(target) ?? (await keptFailure(failedPathOf(dir, sha256)))
  // A file that is no KML or GPX stays so; one beyond the limits may fit other limits.
  if (known !== undefined && (known.error === 'NoFeaturesError' || sameLimits(known.limits, bounds))) throw errorOf(known)
  const size = (await stat(source)).size
  if (size > bounds.maxBytes) {
    throw new TooManyFeaturesError(
      `the ${format} file has ${size} bytes; KML and GPX files up to ${bounds.maxBytes} bytes are converted to items (publish larger ones as GeoJSON)`
    )
  }
  let p = underWay.get(target)
  if (p === undefined) {
    p = oneAtATime(async () => convertOnce(source, sha256, format, dir, bounds)).finally(() => underWay.delete(target))
    underWay.set(target, p)
  }
  return p
}

async function convertOnce(
  source: string,
  sha256: string,
  format: ConvertedFormat,
  dir: string,
  limits: ConversionLimits
): Promise<string> {
  const target = convertedPathOf(dir, sha256)
  // Another process (or an earlier caller) may have finished it while this one waited.
  if (await exists(target)) return target
  await mkdir(dir, { recursive: true })
  const tmp = `${target}.${process.pid}.tmp`
  stats.started++
  stats.running++
  let answer: WorkerAnswer | { kind: 'limit'; message: string; timeout: boolean }
  try {
    answer = await runWorker(
      { source, target: tmp, format, maxFeatures: limits.maxFeatures, maxFeatureBytes: MAX_FEATURE_BYTES, maxMemoryMb: limits.maxMemoryMb },
      limits,
      format
    )
  } finally {
    stats.running--
  }
  if (answer.kind === 'done') {
    // Written whole, then renamed: a reader never sees half a file.
    await rename(tmp, target)
    await rm(failedPathOf(dir, sha256), { force: true })
    return target
  }
  await rm(tmp, { force: true })
  if (answer.kind === 'error') throw new Error(`converting the ${format} file failed: ${answer.message}`)
  const failure: Failure = {
    error: answer.kind === 'refused' && answer.reason !== 'too_many' ? 'NoFeaturesError' : 'TooManyFeaturesError',
    message: answer.message,
    limits
  }
  if (answer.kind === 'limit' && answer.timeout) {
    if (timedOut.size >= MAX_REMEMBERED_TIMEOUTS) timedOut.delete(timedOut.keys().next().value!)
    timedOut.set(target, failure)
  } else {
    await keepFailure(failedPathOf(dir, sha256), failure)
  }
  throw errorOf(failure)
}

/** Runs the worker on one file; its heap and time limits end it, answered as `limit`. */
async function runWorker(
  data: { source: string; target: string; format: ConvertedFormat; maxFeatures: number; maxFeatureBytes: number; maxMemoryMb: number },
  limits: ConversionLimits,
  format: ConvertedFormat
): Promise<WorkerAnswer | { kind: 'limit'; message: string; timeout: boolean }> {
  const worker = new Worker(new URL('./convert-worker.js', import.meta.url), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: limits.maxMemoryMb }
  })
  return new Promise(resolve => {
    let answer: WorkerAnswer | { kind: 'limit'; message: string; timeout: boolean } | undefined
    const timer = setTimeout(() => {
      answer ??= { kind: 'limit', timeout: true, message: `the ${format} file took longer than ${limits.timeoutMs / 1000} s to convert` }
      void worker.terminate()
    }, limits.timeoutMs)
    worker.on('message', (m: WorkerAnswer) => {
      answer ??= m
    })
    worker.on('error', (err: Error & { code?: string }) => {
      answer ??=
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'limit', timeout: false, message: `the ${format} file needs more than ${limits.maxMemoryMb} MiB to convert` }
          : { kind: 'error', message: err.message }
    })
    worker.on('exit', () => {
      clearTimeout(timer)
      resolve(answer ?? { kind: 'error', message: 'the conversion ended without an answer' })
    })
  })
}

async function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_CONVERSIONS) await new Promise<void>(resolve => waiting.push(resolve))
  running++
  try {
    return await task()
  } finally {
    running--
    waiting.shift()?.()
  }
}

async function keptFailure(path: string): Promise<Failure | undefined> {
  try {
    const f = JSON.parse(await readFile(path, 'utf8')) as Partial<Failure>
    if ((f.error === 'NoFeaturesError' || f.error === 'TooManyFeaturesError') && typeof f.message === 'string' && f.limits !== undefined) {
      return f as Failure
    }
  } catch {
    // None kept, or unreadable: converted again, and kept anew.
  }
  return undefined
}

async function keepFailure(path: string, failure: Failure): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(failure))
  await rename(tmp, path)
}

const errorOf = (f: Failure): Error =>
  f.error === 'NoFeaturesError' ? new NoFeaturesError(f.message) : new TooManyFeaturesError(f.message)

const sameLimits = (a: ConversionLimits, b: ConversionLimits): boolean =>
  a.maxBytes === b.maxBytes && a.maxFeatures === b.maxFeatures && a.maxMemoryMb === b.maxMemoryMb && a.timeoutMs === b.timeoutMs

const definedOnly = (o: Partial<ConversionLimits>): Partial<ConversionLimits> =>
  Object.fromEntries(Object.entries(o as Record<string, number | undefined>).filter(([, v]) => v !== undefined))

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false
  )
}
