import jsonld from 'jsonld'
import { Parser, type Quad } from 'n3'
import { RdfXmlParser } from 'rdfxml-streaming-parser'
import { RdfParseError } from './errors.js'

export type RdfInputFormat = 'turtle' | 'rdfxml' | 'jsonld'

export { RdfParseError }

/** The format from a media type, a file name, or (last) the first characters. */
export function detectFormat(text: string, mediaType?: string, name?: string): RdfInputFormat {
  const mt = mediaType?.split(';')[0]?.trim().toLowerCase()
  if (mt === 'application/rdf+xml' || mt === 'application/xml' || mt === 'text/xml') return 'rdfxml'
  if (mt === 'application/ld+json') return 'jsonld'
  if (mt === 'text/turtle' || mt === 'application/x-turtle') return 'turtle'
  if (name !== undefined) {
    if (/\.(rdf|xml|owl)$/i.test(name)) return 'rdfxml'
    if (/\.(jsonld|json)$/i.test(name)) return 'jsonld'
    if (/\.(ttl|n3|nt)$/i.test(name)) return 'turtle'
  }
  const head = text.trimStart().slice(0, 200)
  if (head.startsWith('<?xml') || head.startsWith('<rdf:RDF')) return 'rdfxml'
  if (head.startsWith('{') || head.startsWith('[')) return 'jsonld'
  return 'turtle'
}

/** Parses RDF text to quads. Remote JSON-LD contexts are not fetched. */
export async function parseRdf(text: string, format: RdfInputFormat, baseIRI?: string): Promise<Quad[]> {
  try {
    if (format === 'turtle') return new Parser({ baseIRI }).parse(text)
    if (format === 'rdfxml') {
      return await new Promise<Quad[]>((resolve, reject) => {
        const out: Quad[] = []
        const parser = new RdfXmlParser({ baseIRI })
        parser.on('data', (q: Quad) => out.push(q))
        parser.on('error', reject)
        parser.on('end', () => {
          resolve(out)
        })
        parser.write(text)
        parser.end()
      })
    }
    const doc = JSON.parse(text) as object
    const nquads = (await jsonld.toRDF(doc, {
      format: 'application/n-quads',
      ...(baseIRI === undefined ? {} : { base: baseIRI }),
      documentLoader: (url: string) => Promise.reject(new Error(`remote JSON-LD context ${url} is not fetched; inline it`))
    })) as unknown as string
    return new Parser({ format: 'N-Quads' }).parse(nquads)
  } catch (err) {
    throw new RdfParseError(
      `not valid ${format === 'rdfxml' ? 'RDF/XML' : format === 'jsonld' ? 'JSON-LD' : 'Turtle'}: ${(err as Error).message}`
    )
  }
}

/**
 * The base IRIs an empty IRI (<>, rdf:resource="") of this document resolves
 * to: the one it was read from and the one it declares (@base, xml:base).
 */
export function documentBases(text: string, baseIRI?: string): string[] {
  const head = text.slice(0, 64 * 1024)
  const declared = [
    /@base\s*<([^>]*)>/i.exec(head)?.[1],
    /^\s*BASE\s*<([^>]*)>/im.exec(head)?.[1],
    /xml:base\s*=\s*"([^"]*)"/.exec(head)?.[1],
    /"@base"\s*:\s*"([^"]*)"/.exec(head)?.[1]
  ]
  return [...new Set([baseIRI, ...declared].filter((b): b is string => b !== undefined && b !== ''))]
}
