import { readFileSync } from 'node:fs'
import jsonld from 'jsonld'
import { Parser, Store, Writer, type Quad } from 'n3'
import SHACLValidator from 'rdf-validate-shacl'
import { RdfXmlParser } from 'rdfxml-streaming-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

let t: TestNode
const shapes = new Parser().parse(readFileSync(new URL('../fixtures/dcat-ap-de.shapes.ttl', import.meta.url), 'utf8'))

async function validate(quads: Quad[]): Promise<{ conforms: boolean; messages: string[] }> {
  const validator = new SHACLValidator(new Store(shapes))
  const report = await validator.validate(new Store(quads))
  return {
    conforms: report.conforms,
    // The typings promise a path and focus node; results of node shapes have none.
    messages: report.results.map(r => {
      const { path, focusNode } = r as { path: { value: string } | null; focusNode: { value: string } | null }
      return `${path?.value ?? ''}: ${r.message.map(m => m.value).join(' ')} (${focusNode?.value ?? ''})`
    })
  }
}

const nquads = async (quads: Quad[]): Promise<string> =>
  new Promise((resolve, reject) => {
    const w = new Writer({ format: 'N-Quads' })
    w.addQuads(quads)
    w.end((err: Error | null, out: string) => {
      if (err !== null) reject(err)
      else resolve(out)
    })
  })
/** Canonical N-Quads (URDNA2015), without the paging node, which names its own format's URL. */
const canonical = async (quads: Quad[]): Promise<string> => {
  const graph = quads.filter(q => !/\/catalog\.(ttl|rdf|jsonld)\?/.test(q.subject.value))
  const canonize = jsonld.canonize as unknown as (input: string, options: object) => Promise<string>
  return canonize(await nquads(graph), { algorithm: 'URDNA2015', inputFormat: 'application/n-quads' })
}

async function parseRdfXml(xml: string): Promise<Quad[]> {
  return new Promise((resolve, reject) => {
    const out: Quad[] = []
    const parser = new RdfXmlParser()
    parser.on('data', q => out.push(q))
    parser.on('error', reject)
    parser.on('end', () => {
      resolve(out)
    })
    parser.write(xml)
    parser.end()
  })
}

beforeAll(async () => {
  t = await startTestNode()
  for (let i = 0; i < 3; i++) {
    expect(
      (await t.api('/api/v1/datasets', json(sampleDataset({ id: `radwege-${i}`, title: `Radwege ${i} — "Ruhr" & <Möhne>` })))).status
    ).toBe(201)
  }
  await t.api('/api/v1/datasets/radwege-0/distributions/netz?title=Netz', {
    method: 'PUT',
    headers: { 'content-type': 'application/geo+json' },
    body: '{"type":"FeatureCollection","features":[]}'
  })
})
afterAll(async () => {
  await t.cleanup()
})

describe('DCAT-AP.de export', () => {
  it('catalog.ttl conforms to the DCAT-AP.de 2.0 shapes and carries the conventions', async () => {
    const res = await t.api('/catalog.ttl', { auth: false })
    expect(res.headers.get('content-type')).toMatch(/text\/turtle/)
    const ttl = await res.text()
    const quads = new Parser().parse(ttl)
    const report = await validate(quads)
    expect(report.messages).toEqual([])
    expect(report.conforms).toBe(true)
    expect(ttl).toContain('<http://dcat-ap.de/def/licenses/dl-by-de/2.0>')
    expect(ttl).toContain('<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05958004>')
    expect(ttl).toContain('<http://dcat-ap.de/def/contributors/openNRW>')
    expect(ttl).toContain('<http://publications.europa.eu/resource/authority/file-type/GEOJSON>')
    expect(ttl).toContain('<http://dcat-ap.de/def/hashAlgorithms/sha/256>')
    expect(quads.filter(q => q.predicate.value === 'http://www.w3.org/ns/dcat#dataset')).toHaveLength(3)
  })

  it('the shapes catch a distribution without licence (negative control)', async () => {
    const quads = new Parser().parse(await (await t.api('/catalog.ttl', { auth: false })).text())
    const report = await validate(quads.filter(q => q.predicate.value !== 'http://purl.org/dc/terms/license'))
    expect(report.conforms).toBe(false)
    expect(report.messages.join('\n')).toMatch(/license/)
  })

  it('serves the same graph as RDF/XML and JSON-LD', async () => {
    const ttl = new Parser().parse(await (await t.api('/catalog.ttl', { auth: false })).text())
    const rdfRes = await t.api('/catalog.rdf', { auth: false })
    expect(rdfRes.headers.get('content-type')).toMatch(/application\/rdf\+xml/)
    const fromXml = await parseRdfXml(await rdfRes.text())
    expect(await canonical(fromXml)).toBe(await canonical(ttl))
    const ldRes = await t.api('/catalog.jsonld', { auth: false })
    expect(ldRes.headers.get('content-type')).toMatch(/application\/ld\+json/)
    const fromLd = new Parser().parse((await jsonld.toRDF(await ldRes.json(), { format: 'application/n-quads' })) as unknown as string)
    expect(await canonical(fromLd)).toBe(await canonical(ttl))
  })

  it('exports a single dataset and pages the catalog like ckanext-dcat', async () => {
    const one = new Parser().parse(await (await t.api('/dataset/radwege-1.ttl', { auth: false })).text())
    expect(one.some(q => q.object.value === 'http://www.w3.org/ns/dcat#Dataset')).toBe(true)
    expect((await validate(one)).conforms).toBe(true)
    expect((await t.api('/dataset/gibt-es-nicht.ttl', { auth: false })).status).toBe(404)
    const page = await (await t.api('/catalog.ttl?page=1&modified_since=2000-01-01', { auth: false })).text()
    expect(page).toMatch(/hydra:totalItems 3/)
    expect(page).toMatch(/hydra:firstPage ".*page=1"/)
    const future = await (await t.api('/catalog.ttl?modified_since=2999-01-01', { auth: false })).text()
    expect(future).toMatch(/hydra:totalItems 0/)
    expect((await t.api('/catalog.ttl?page=0', { auth: false })).status).toBe(400)
    expect((await t.api('/catalog.ttl?modified_since=gestern', { auth: false })).status).toBe(400)
  })
})
