import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseRdf } from '@swf/node/dcat/parse-rdf'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'
import { readWithRdflib } from '../helpers/rdflib.js'

// Text a Kommune really types, and text that breaks hand-built XML, Turtle or JSON.
const HOSTILE = {
  title: 'Preise &euro; und Vertr&auml;ge',
  description:
    'Ein einzelnes & und < und > und &amp; und &#38; und ]]> und "Anführung" und \'einfach\' und \\Backslash\\ und """dreifach""" ' +
    'und\nZeilen\tund Tab, 🚲 Rad, שלום, \u00a0geschützt, <script>alert(1)</script>, @de ^^xsd:string _:b0 <http://x> # kein Kommentar',
  keywords: ['&euro;', 'a&b', '<tag>', '"', "'''", '\\', '🚲', 'Straße'],
  landingPage: 'https://www.soest.example/daten?thema=a&seite=2#teil',
  publisherName: '"Stadt" & <Land>',
  contact: 'Müller & Söhne <Tiefbau>'
}

let t: TestNode
beforeAll(async () => {
  t = await startTestNode()
  const created = await t.api(
    '/api/v1/datasets',
    json(
      sampleDataset({
        id: 'feindlich',
        title: HOSTILE.title,
        description: HOSTILE.description,
        keywords: HOSTILE.keywords,
        landingPage: HOSTILE.landingPage,
        publisher: { name: HOSTILE.publisherName },
        contactPoint: { name: HOSTILE.contact, email: 'tiefbau@soest.example' }
      })
    )
  )
  expect(created.status).toBe(201)
  await t.api('/api/v1/datasets/feindlich/distributions/liste?title=%3CListe%3E%20%26%20mehr', {
    method: 'PUT',
    headers: { 'content-type': 'text/csv' },
    body: 'a;b\n1;2\n'
  })
  expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'zweiter', title: 'Vertr&auml;ge &amp; Preise' })))).status).toBe(201)
})
afterAll(async () => {
  await t.cleanup()
})

describe('RDF export with hostile text', () => {
  it('Turtle, RDF/XML and JSON-LD, read by an independent parser (rdflib), are the same graph and keep every character', async () => {
    const get = async (ext: string): Promise<string> => {
      const res = await t.api(`/catalog.${ext}`, { auth: false })
      expect(res.status).toBe(200)
      return res.text()
    }
    const texts = { turtle: await get('ttl'), xml: await get('rdf'), 'json-ld': await get('jsonld') }
    const reading = readWithRdflib(texts, t.node.url, /\/catalog\.(ttl|rdf|jsonld)\?/)
    expect(reading.isomorphic).toEqual({ turtle: true, xml: true, 'json-ld': true })
    expect(reading.triples.turtle).toBeGreaterThan(60)
    expect(new Set(Object.values(reading.triples)).size).toBe(1)
    for (const [fmt, literals] of Object.entries(reading.perFormatLiterals)) {
      for (const text of [
        HOSTILE.title,
        HOSTILE.description,
        ...HOSTILE.keywords,
        HOSTILE.publisherName,
        HOSTILE.contact,
        '<Liste> & mehr',
        'Vertr&auml;ge &amp; Preise'
      ]) {
        expect(literals, `${fmt} keeps ${JSON.stringify(text)}`).toContain(text)
      }
    }
    expect(reading.iris).toContain(HOSTILE.landingPage)
  })

  it('our own RDF/XML reader gets the same text back (a literal &amp; stays &amp;)', async () => {
    const xml = await (await t.api('/catalog.rdf', { auth: false })).text()
    const titles = (await parseRdf(xml, 'rdfxml'))
      .filter(q => q.predicate.value === 'http://purl.org/dc/terms/title')
      .map(q => q.object.value)
    expect(titles).toContain(HOSTILE.title)
    expect(titles).toContain('Vertr&auml;ge &amp; Preise')
  })

  it('text that no XML can carry is refused at the door, naming the field', async () => {
    for (const [field, value] of [
      ['title', 'Bell \u0007'],
      ['description', 'Null \u0000 Byte'],
      ['title', 'Halb \ud800 Paar']
    ] as const) {
      const res = await t.api('/api/v1/datasets', json(sampleDataset({ id: 'kaputt', [field]: value })))
      expect(res.status).toBe(400)
      const body = await res.json()
      expect(body.error.field).toBe(field)
      expect(body.error.message).toMatch(/control characters/)
    }
  })
})
