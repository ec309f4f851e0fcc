import jsonld from 'jsonld'
import { Writer, type Quad } from 'n3'
import { create } from 'xmlbuilder2'
import { NS } from './vocab.js'

import type { RdfFormat } from './formats.js'

export { MEDIA_TYPES, type RdfFormat } from './formats.js'

async function write (quads: Quad[], format: 'Turtle' | 'N-Quads'): Promise<string> {
  const writer = new Writer({ format, ...(format === 'Turtle' ? { prefixes: NS } : {}) })
  writer.addQuads(quads)
  return new Promise((resolve, reject) => writer.end((err, out) => err ? reject(err) : resolve(out)))
}

export const toTurtle = async (quads: Quad[]): Promise<string> => write(quads, 'Turtle')

/** JSON-LD, compacted with the DCAT-AP.de prefixes. */
export async function toJsonLd (quads: Quad[]): Promise<object> {
  const expanded = await jsonld.fromRDF(await write(quads, 'N-Quads'), { format: 'application/n-quads' })
  const context: Record<string, string> = { ...NS }
  return jsonld.compact(expanded, context)
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/

/**
 * RDF/XML. No maintained npm package writes it, so this does, with an XML
 * builder for the escaping: one rdf:Description per subject, properties as
 * qualified elements, IRIs as rdf:resource, blank nodes as rdf:nodeID.
 */
export function toRdfXml (quads: Quad[]): string {
  const prefixes = new Map<string, string>(Object.entries(NS).map(([p, ns]) => [ns, p]))
  const split = (iri: string): { ns: string, prefix: string, local: string } => {
    for (const [ns, prefix] of prefixes) {
      const local = iri.slice(ns.length)
      if (iri.startsWith(ns) && NCNAME.test(local)) return { ns, prefix, local }
    }
    const cut = Math.max(iri.lastIndexOf('#'), iri.lastIndexOf('/')) + 1
    const ns = iri.slice(0, cut)
    const prefix = `ns${prefixes.size}`
    prefixes.set(ns, prefix)
    return { ns, prefix, local: iri.slice(cut) }
  }
  const bySubject = new Map<string, Quad[]>()
  for (const q of quads) {
    const key = `${q.subject.termType}:${q.subject.value}`
    bySubject.set(key, [...(bySubject.get(key) ?? []), q])
  }
  const predicates = quads.map(q => split(q.predicate.value))
  const doc = create({ version: '1.0', encoding: 'UTF-8' })
  const root = doc.ele(NS.rdf, 'rdf:RDF')
  for (const [ns, prefix] of prefixes) {
    if (predicates.some(p => p.ns === ns) || ns === NS.rdf) root.att('http://www.w3.org/2000/xmlns/', `xmlns:${prefix}`, ns)
  }
  for (const group of bySubject.values()) {
    const subject = group[0]!.subject
    const el = root.ele(NS.rdf, 'rdf:Description')
    if (subject.termType === 'BlankNode') el.att(NS.rdf, 'rdf:nodeID', subject.value)
    else el.att(NS.rdf, 'rdf:about', subject.value)
    for (const q of group) {
      const p = split(q.predicate.value)
      const prop = el.ele(p.ns, `${p.prefix}:${p.local}`)
      const o = q.object
      if (o.termType === 'NamedNode') prop.att(NS.rdf, 'rdf:resource', o.value)
      else if (o.termType === 'BlankNode') prop.att(NS.rdf, 'rdf:nodeID', o.value)
      else if (o.termType === 'Literal') {
        if (o.language !== '') prop.att('http://www.w3.org/XML/1998/namespace', 'xml:lang', o.language)
        else if (o.datatype.value !== `${NS.xsd}string`) prop.att(NS.rdf, 'rdf:datatype', o.datatype.value)
        prop.txt(o.value)
      }
    }
  }
  return doc.end({ prettyPrint: true })
}

export async function serialize (quads: Quad[], format: RdfFormat): Promise<string> {
  if (format === 'ttl') return toTurtle(quads)
  if (format === 'rdf') return toRdfXml(quads)
  return JSON.stringify(await toJsonLd(quads), null, 2)
}
