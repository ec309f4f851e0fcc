import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { readFileSync } from 'node:fs'
import { dspValidator, DSP_SCHEMA_DIR } from '../helpers/dsp-schemas.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

let t: TestNode
const schemas = dspValidator()
const request = async (body: unknown, qs = ''): Promise<{ status: number; body: any; link: string | null }> => {
  const res = await t.api(`/dsp/catalog/request${qs}`, {
    method: 'POST',
    auth: false,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return { status: res.status, body: await res.json(), link: res.headers.get('link') }
}
const catalogRequest = { '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage', filter: [] }

beforeAll(async () => {
  t = await startTestNode()
  for (let i = 0; i < 102; i++)
    expect(
      (await t.api('/api/v1/datasets', json(sampleDataset({ id: `d-${String(i).padStart(3, '0')}`, title: `Datensatz ${i}` })))).status
    ).toBe(201)
  await t.api('/api/v1/datasets/d-000/distributions/csv', { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a\n1\n' })
})
afterAll(async () => {
  await t.cleanup()
})

describe('Dataspace Protocol 2025-1 catalog', () => {
  it('announces its version', async () => {
    const r = await t.api('/.well-known/dspace-version', { auth: false })
    expect(await r.json()).toEqual({ protocolVersions: [{ version: '2025-1', path: '/dsp', binding: 'HTTPS' }] })
  })

  it('answers a CatalogRequestMessage with a DCAT catalog, open ODRL offers and paging', async () => {
    const r = await request(catalogRequest)
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ '@type': 'Catalog', participantId: t.node.peerId, service: [{ '@type': 'DataService' }] })
    expect(r.body.dataset).toHaveLength(100)
    const first = r.body.dataset[0]
    expect(first).toMatchObject({ '@id': '05958004-d-000', '@type': 'Dataset', 'dct:title': 'Datensatz 0' })
    expect(first.hasPolicy).toEqual([expect.objectContaining({ '@type': 'Offer', permission: [{ action: 'use' }] })])
    expect(first.hasPolicy[0]).not.toHaveProperty('target')
    expect(first.distribution[0]).toMatchObject({ '@type': 'Distribution', format: 'HttpData-PULL' })
    expect(first.distribution[0].accessService.endpointURL).toMatch(/\/api\/v1\/datasets\/d-000\/distributions\/csv\/[^/]+\.csv$/)
    expect(r.link).toMatch(/page=2>; rel="next"/)
    const page2 = await request(catalogRequest, '?page=2')
    expect(page2.body.dataset.map((d: any) => d['@id'])).toEqual(['05958004-d-100', '05958004-d-101'])
    expect(page2.link).toBeNull()
  })

  it('passes the official 2025-1 JSON Schemas: catalog pages, datasets with and without files, errors', async () => {
    // Control: the owner's own examples pass, and a known defect fails (the validator is not vacuous).
    const example = (name: string): any => JSON.parse(readFileSync(`${DSP_SCHEMA_DIR}catalog/example/${name}`, 'utf8'))
    expect(schemas.validate('catalog/catalog-schema.json', example('catalog.json'))).toEqual([])
    expect(schemas.validate('catalog/dataset-schema.json', example('dataset.json'))).toEqual([])
    expect(schemas.validate('catalog/catalog-error-schema.json', example('catalog-error.json'))).toEqual([])
    const withTarget = example('catalog.json')
    withTarget.dataset[0].hasPolicy[0].target = 'x'
    expect(schemas.validate('catalog/catalog-schema.json', withTarget)).not.toEqual([])

    for (const page of ['', '?page=2']) {
      const r = await request(catalogRequest, page)
      expect(schemas.validate('catalog/catalog-schema.json', r.body)).toEqual([])
    }
    const catalog = (await request(catalogRequest)).body
    const serviceIds = catalog.dataset.flatMap((d: any) => d.distribution.map((x: any) => x.accessService['@id']))
    expect(new Set(serviceIds).size).toBe(serviceIds.length)
    for (const id of ['05958004-d-000', '05958004-d-007']) {
      const r = await t.api(`/dsp/catalog/datasets/${id}`, { auth: false })
      const body = await r.json()
      expect(schemas.validate('catalog/dataset-schema.json', body)).toEqual([])
      expect(body.distribution.length).toBeGreaterThan(0)
    }
    // d-007 has no file: it is reached through its page.
    const noFile = await (await t.api('/dsp/catalog/datasets/05958004-d-007', { auth: false })).json()
    expect(noFile.distribution[0].accessService.endpointURL).toBe('https://www.arnsberg.example/radwege')
    const errors = [
      await t.api('/dsp/catalog/datasets/05958004-nope', { auth: false }),
      await t.api('/dsp/catalog/datasets/bad..id', { auth: false })
    ]
    for (const r of errors) expect(schemas.validate('catalog/catalog-error-schema.json', await r.json())).toEqual([])
    const bad = await request({ '@type': 'CatalogRequestMessage' })
    expect(bad.status).toBe(400)
    expect(schemas.validate('catalog/catalog-error-schema.json', bad.body)).toEqual([])
  })

  it('an empty catalog has no empty dataset list', async () => {
    const empty = await startTestNode()
    try {
      const res = await empty.api('/dsp/catalog/request', {
        method: 'POST',
        auth: false,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(catalogRequest)
      })
      const body = await res.json()
      expect(res.status).toBe(200)
      expect(body).not.toHaveProperty('dataset')
      expect(schemas.validate('catalog/catalog-schema.json', body)).toEqual([])
    } finally {
      await empty.cleanup()
    }
  })

  it('shows one dataset and answers errors as CatalogError', async () => {
    const ok = await t.api('/dsp/catalog/datasets/05958004-d-007', { auth: false })
    expect((await ok.json())['dct:title']).toBe('Datensatz 7')
    const missing = await t.api('/dsp/catalog/datasets/05958004-nope', { auth: false })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ '@type': 'CatalogError', code: '404' })
    expect((await t.api('/dsp/catalog/datasets/bad..id', { auth: false })).status).toBe(400)
    const requests: Array<[unknown, RegExp]> = [
      ['{nope', /JSON-LD/],
      [JSON.stringify({ '@type': 'Something' }), /@context/],
      [{ '@type': 'CatalogRequestMessage' }, /@context/],
      [{ '@context': { dspace: 'https://w3id.org/dspace/2025/1/' }, '@type': 'CatalogRequestMessage' }, /@context/],
      [{ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'dspace:Other' }, /@type/],
      [{ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage', filter: 'x' }, /filter/],
      [[], /object/]
    ]
    for (const [bad, reason] of requests) {
      const r = await request(bad)
      expect(r.status).toBe(400)
      expect(r.body['@type']).toBe('CatalogError')
      expect(r.body.reason[0]).toMatch(reason)
    }
    expect((await request(catalogRequest, '?page=0')).status).toBe(400)
  })
})
