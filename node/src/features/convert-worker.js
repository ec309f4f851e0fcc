// Worker thread of convertedGeoJson (converted-file.ts): converts one KML or
// GPX file to GeoJSON, written feature by feature to `target`. Plain
// JavaScript, so that it loads alike under tsx/vitest and from dist. Its
// heap and time are bounded by the thread that starts it; here the counts.
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import { parentPort, workerData } from 'node:worker_threads'
import { gpxGen, kmlGen } from '@tmcw/togeojson'
import { DOMParser } from '@xmldom/xmldom'

/** Failures of reading the source or writing the target: the machine's, not the file's (not kept). */
class IoError extends Error {}

/** Output is handed to the file in pieces of about this size. */
const WRITE_BYTES = 1024 * 1024
/** What xmldom's DOM takes per node (measured on Node 20): an element, an attribute, a text, a comment or instruction. */
const DOM_BYTES = { element: 800, attribute: 350, text: 300, other: 150 }
/** Share of the heap the DOM and the text may take by estimate; the rest is for the output and the collector. */
const DOM_HEAP_SHARE = 0.8

/** @type {{ source: string, target: string, format: 'KML' | 'GPX', maxFeatures: number, maxFeatureBytes: number, maxMemoryMb: number }} */
const { source, target, format, maxFeatures, maxFeatureBytes, maxMemoryMb } = workerData

/** A refusal the thread that started us turns into a typed error: 'xml', 'invalid', 'empty' or 'too_many'. */
class Refused extends Error {
  constructor(reason, message) {
    super(message)
    this.reason = reason
  }
}

/**
 * The heap a text's DOM will take, estimated from its nodes before it is
 * parsed, so that a document that cannot fit is refused at once instead of
 * after a parse that ends out of memory (which takes seconds of collecting).
 */
function domBytesOf(text) {
  let bytes = text.length
  let i = text.indexOf('<')
  while (i >= 0) {
    // Comments and CDATA are one node, whatever markup they hold (KML descriptions are HTML in CDATA).
    const skip = text.startsWith('<![CDATA[', i) ? ']]>' : text.startsWith('<!--', i) ? '-->' : '>'
    const end = text.indexOf(skip, i + 1)
    if (end < 0) break
    const c = text.charCodeAt(i + 1)
    if (skip !== '>' || c === 33 /* ! */ || c === 63 /* ? */) bytes += DOM_BYTES.other
    else if (c !== 47 /* / */) {
      bytes += DOM_BYTES.element
      for (let a = i + 2; a < end; a++) if (text.charCodeAt(a) === 61 /* = */) bytes += DOM_BYTES.attribute
    }
    const next = end + skip.length
    // Text between tags, whitespace too (xmldom keeps it).
    if (next < text.length && text.charCodeAt(next) !== 60 /* < */) bytes += DOM_BYTES.text
    i = text.indexOf('<', next)
  }
  return bytes
}

function parse(text) {
  const estimate = domBytesOf(text)
  if (estimate > maxMemoryMb * 1024 * 1024 * DOM_HEAP_SHARE) {
    throw new Refused(
      'too_many',
      `the ${format} file needs about ${Math.ceil(estimate / 1024 / 1024)} MiB to convert; at most ${maxMemoryMb} MiB are given`
    )
  }
  const errors = []
  let doc
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message)
      }
    }).parseFromString(text, 'text/xml')
  } catch (err) {
    errors.push(err.message)
  }
  if (errors.length > 0) throw new Refused('xml', `the ${format} file is not well-formed XML: ${errors[0].split('\n')[0]}`)
  return doc
}

async function readSource() {
  try {
    return await readFile(source, 'utf8')
  } catch (err) {
    throw new IoError(err.message)
  }
}

async function convert() {
  // The text is held no longer than the parse: the DOM alone fills the heap.
  const doc = parse(await readSource())
  const out = createWriteStream(target)
  const failed = new Promise((_, reject) => out.once('error', err => reject(new IoError(err.message))))
  failed.catch(() => {})
  let count = 0
  let chunk = '{"type":"FeatureCollection","features":['
  const flush = async () => {
    // Waits for the disk when the stream's buffer is full: the output never piles up in memory.
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed])
    chunk = ''
  }
  try {
    for (const feature of format === 'KML' ? kmlGen(doc) : gpxGen(doc)) {
      if (++count > maxFeatures) throw new Refused('too_many', `the ${format} file holds more than ${maxFeatures} features`)
      const json = JSON.stringify(feature)
      if (Buffer.byteLength(json) > maxFeatureBytes) {
        throw new Refused('too_many', `feature ${count} of the ${format} file takes more than ${maxFeatureBytes} bytes as GeoJSON`)
      }
      chunk += (count > 1 ? ',' : '') + json
      if (chunk.length >= WRITE_BYTES) await flush()
    }
    if (count === 0) throw new Refused('empty', `the ${format} file holds no placemarks, tracks, routes or waypoints`)
    chunk += ']}'
    await flush()
    out.end()
    await Promise.race([once(out, 'finish'), failed])
  } finally {
    out.destroy()
  }
  return count
}

try {
  parentPort.postMessage({ kind: 'done', features: await convert() })
} catch (err) {
  if (err instanceof IoError) parentPort.postMessage({ kind: 'error', message: err.message })
  else if (err instanceof Refused) parentPort.postMessage({ kind: 'refused', reason: err.reason, message: err.message })
  // togeojson failing on a document is the document's fault: refused like any other.
  else
    parentPort.postMessage({
      kind: 'refused',
      reason: 'invalid',
      message: `the ${format} file cannot be converted: ${String(err?.message ?? err)}`
    })
}
