import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

let t: TestNode
const request = async (body: unknown, qs = ''): Promise<{ status: number, body: any, link: string | null }> => {
  const res = await t.api(`/dsp/catalog/request${qs}`, { method: 'POST', auth: false, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: await res.json(), link: res.headers.get('link') }
}
const catalogRequest = { '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage', filter: [] }

beforeAll(async () => {
  t = await startTestNode()
  for (let i = 0; i < 102; i++) expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: `d-${String(i).padStart(3, '0')}`, title: `Datensatz ${i}` })))).status).toBe(201)
  await t.api('/api/v1/datasets/d-000/distributions/csv', { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a\n1\n' })
})
afterAll(async () => { await t.cleanup() })

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
    expect(first.hasPolicy).toEqual([expect.objectContaining({ '@type': 'Offer', permission: [{ action: 'use' }], target: '05958004-d-000' })])
    expect(first.distribution[0]).toMatchObject({ '@type': 'Distribution', format: 'HttpData-PULL' })
    expect(first.distribution[0].accessService.endpointURL).toMatch(/\/api\/v1\/datasets\/d-000\/distributions\/csv\/file$/)
    expect(r.link).toMatch(/page=2>; rel="next"/)
    const page2 = await request(catalogRequest, '?page=2')
    expect(page2.body.dataset.map((d: any) => d['@id'])).toEqual(['05958004-d-100', '05958004-d-101'])
    expect(page2.link).toBeNull()
  })

  it('shows one dataset and answers errors as CatalogError', async () => {
    const ok = await t.api('/dsp/catalog/datasets/05958004-d-007', { auth: false })
    expect((await ok.json())['dct:title']).toBe('Datensatz 7')
    const missing = await t.api('/dsp/catalog/datasets/05958004-nope', { auth: false })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ '@type': 'CatalogError', code: '404' })
    expect((await t.api('/dsp/catalog/datasets/bad..id', { auth: false })).status).toBe(400)
    for (const bad of ['{nope', JSON.stringify({ '@type': 'Something' })]) {
      const r = await request(bad)
      expect(r.status).toBe(400)
      expect(r.body['@type']).toBe('CatalogError')
    }
    expect((await request(catalogRequest, '?page=0')).status).toBe(400)
  })
})
