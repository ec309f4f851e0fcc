import jsonld from 'jsonld'
import { Writer, type Quad } from 'n3'
import xmlScribe from '@graphy/content.xml.scribe'
import { NS } from './vocab.js'

import type { RdfFormat } from './formats.js'

export { MEDIA_TYPES, type RdfFormat } from './formats.js'

async function write(quads: Quad[], format: 'Turtle' | 'N-Quads'): Promise<string> {
  const writer = new Writer({ format, ...(format === 'Turtle' ? { prefixes: NS } : {}) })
  writer.addQuads(quads)
  return new Promise((resolve, reject) => {
    writer.end((err: Error | null, out: string) => {
      if (err !== null) reject(err)
      else resolve(out)
    })
  })
}

export const toTurtle = async (quads: Quad[]): Promise<string> => write(quads, 'Turtle')

/** JSON-LD, compacted with the DCAT-AP.de prefixes. */
export async function toJsonLd(quads: Quad[]): Promise<object> {
  const expanded = await jsonld.fromRDF(await write(quads, 'N-Quads'), { format: 'application/n-quads' })
  const context: Record<string, string> = { ...NS }
  return jsonld.compact(expanded, context)
}

/**
 * RDF/XML from graphy's RDF/XML scriber: it escapes every literal and IRI
 * (a title "Preise &euro;" stays text, not an entity reference) and declares
 * namespaces for predicates that no prefix covers.
 */
export async function toRdfXml(quads: Quad[]): Promise<string> {
  const writer = xmlScribe({ prefixes: NS })
  let out = ''
  writer.on('data', (chunk: string) => {
    out += chunk
  })
  return new Promise((resolve, reject) => {
    writer.on('error', reject)
    writer.on('end', () => {
      resolve(out)
    })
    for (const q of quads) writer.write(q)
    writer.end()
  })
}

export async function serialize(quads: Quad[], format: RdfFormat): Promise<string> {
  if (format === 'ttl') return toTurtle(quads)
  if (format === 'rdf') return await toRdfXml(quads)
  return JSON.stringify(await toJsonLd(quads), null, 2)
}
