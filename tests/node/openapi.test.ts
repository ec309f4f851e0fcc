import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dspValidator } from '../helpers/dsp-schemas.js'
import { FEATURES_BASE, ogcValidator } from '../helpers/ogc-schemas.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

let t: TestNode
beforeAll(async () => {
  t = await startTestNode()
  expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'radwege' })))).status).toBe(201)
})
afterAll(async () => {
  await t.cleanup()
})

describe('OpenAPI', () => {
  it('documents every HTTP endpoint of the node', async () => {
    const doc = await (await t.api('/openapi.json', { auth: false })).json()
    expect(doc.openapi).toBe('3.1.0')
    const documented = new Set(
      Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map(m => `${m.toUpperCase()} ${path}`))
    )
    const routes = t.node.app.routes
      .filter(r => r.method !== 'ALL')
      .map(r => `${r.method} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`)
    expect(routes.length).toBeGreaterThan(40)
    const missing = [...new Set(routes)].filter(r => !documented.has(r))
    expect(missing).toEqual([])
  })

  it('takes request schemas from the validating zod schemas', async () => {
    const doc = await (await t.api('/openapi.json', { auth: false })).json()
    const body = doc.paths['/api/v1/datasets'].post.requestBody.content['application/json'].schema
    expect(body.required).toEqual(expect.arrayContaining(['id', 'title', 'description', 'license']))
    // A dcat-ap.de code, or (kept from an import) the IRI of another licence.
    expect(body.properties.license.anyOf.find((a: any) => a.enum !== undefined).enum).toContain('dl-by-de/2.0')
    expect(doc.paths['/api/v1/datasets'].post.security).toEqual([{ adminToken: [] }])
    const q = doc.paths['/api/v1/search'].get.parameters.map((p: any) => p.name)
    expect(q).toEqual(expect.arrayContaining(['q', 'theme', 'bbox', 'cursor', 'scope', 'timeoutMs']))
  })

  it('serves the reference page and its assets from the node itself', async () => {
    const page = await (await t.api('/api/docs', { auth: false })).text()
    expect(page).toContain('/api/docs/swagger-ui-bundle.js')
    expect(page).not.toMatch(/https?:\/\/(?!127)/) // no CDN
    const js = await t.api('/api/docs/swagger-ui-bundle.js', { auth: false })
    expect(js.status).toBe(200)
    expect(Number(js.headers.get('content-length') ?? (await js.arrayBuffer()).byteLength)).toBeGreaterThan(100_000)
    expect((await t.api('/api/docs/../../package.json', { auth: false })).status).toBe(404)
  })

  it('every JSON answer matches its documented schema: each GET route, the 201s, and CKAN and DSP bodies as those APIs define them', async () => {
    const doc = await (await t.api('/openapi.json', { auth: false })).json()
    const ajv = new Ajv2020({ strict: false, allErrors: true })
    ajv.addSchema(doc, 'https://node.example/openapi.json')
    const dsp = dspValidator()
    const ogc = ogcValidator()
    const pointer = (...parts: string[]): string => parts.map(p => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')
    const check = async (method: string, path: string, url: string, init: RequestInit & { auth?: boolean } = {}): Promise<void> => {
      const res = await t.api(url, { auth: false, ...init, method: method.toUpperCase() })
      const status = String(res.status)
      const responses = doc.paths[path][method].responses
      const documented = responses[status] ?? (status.startsWith('4') ? responses['4XX'] : undefined)
      expect(documented, `${method} ${url} answered ${status}, which is not documented`).toBeDefined()
      const schema = documented.content['application/json']?.schema
      expect(schema, `${method} ${url} ${status} has no JSON schema`).toBeDefined()
      const body = await res.json()
      const ref: string | undefined = schema.$ref
      if (ref?.startsWith(FEATURES_BASE)) {
        expect(ogc.validate(`features/${ref.slice(FEATURES_BASE.length)}`, body), `${method} ${url}`).toEqual([])
        return
      }
      if (ref?.startsWith('https://w3id.org/dspace/2025/1/')) {
        expect(dsp.validate(ref.replace('https://w3id.org/dspace/2025/1/', ''), body), `${method} ${url}`).toEqual([])
        return
      }
      const validate = ajv.getSchema(
        `https://node.example/openapi.json#/${pointer('paths', path, method, 'responses', documented === responses['4XX'] ? '4XX' : status, 'content', 'application/json', 'schema')}`
      )!
      expect(validate(body) ? [] : validate.errors, `${method} ${url} ${status}: ${JSON.stringify(body).slice(0, 300)}`).toEqual([])
    }
    const created = await t.api('/api/v1/datasets/radwege/distributions/netz', {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: 'a;b\n1;2\n'
    })
    expect(created.status).toBe(201)
    await check('post', '/api/v1/datasets', '/api/v1/datasets', { ...json(sampleDataset({ id: 'zweiter' })), auth: true })
    await check('put', '/api/v1/datasets/{id}/distributions/{distId}', '/api/v1/datasets/zweiter/distributions/liste', {
      auth: true,
      headers: { 'content-type': 'text/csv' },
      body: 'x\n1\n'
    })
    await check('post', '/api/v1/use-cases', '/api/v1/use-cases', {
      ...json({
        id: 'radwege-app',
        title: 'Radwege-App',
        description: 'Zeigt das Radwegenetz.',
        problem: 'Das Netz ist schwer zu finden.',
        status: 'pilot',
        datasets: [{ role: 'Netz', publisher: t.node.peerId, datasetId: 'radwege' }]
      }),
      auth: true
    })
    const calls: Array<[string, string]> = [
      ['/health', '/health'],
      ['/api/v1/node', '/api/v1/node'],
      ['/api/v1/status', '/api/v1/status'],
      ['/api/v1/peers', '/api/v1/peers'],
      ['/api/v1/datasets', '/api/v1/datasets'],
      ['/api/v1/datasets/{id}', '/api/v1/datasets/radwege'],
      ['/api/v1/datasets/{id}/entry', '/api/v1/datasets/radwege/entry'],
      ['/api/v1/catalog', '/api/v1/catalog'],
      ['/api/v1/catalog/{publisher}/{id}', `/api/v1/catalog/${t.node.peerId}/radwege`],
      ['/api/v1/search', '/api/v1/search?q=Radweg&theme=TRAN'],
      ['/api/v1/query', '/api/v1/query?datasetId=radwege'],
      ['/.well-known/dspace-version', '/.well-known/dspace-version'],
      ['/dsp/catalog/datasets/{id}', '/dsp/catalog/datasets/05958004-radwege'],
      ['/api/3/action/{action}', '/api/3/action/package_search?q=Radweg'],
      ['/api/action/{action}', '/api/action/package_show?id=05958004-radwege'],
      ['/api/3/action/{action}', '/api/3/action/license_list'],
      // Errors, each in its API's own shape.
      ['/api/v1/datasets/{id}', '/api/v1/datasets/gibt-es-nicht'],
      ['/api/v1/search', '/api/v1/search?bbox=1,2'],
      ['/api/3/action/{action}', '/api/3/action/package_show?id=gibt-es-nicht'],
      ['/api/3/action/{action}', '/api/3/action/package_search?sort=zufall'],
      ['/dsp/catalog/datasets/{id}', '/dsp/catalog/datasets/05958004-gibt-es-nicht'],
      ['/api/v1/use-cases', '/api/v1/use-cases?q=radwege'],
      ['/api/v1/use-cases/{publisher}/{id}', `/api/v1/use-cases/${t.node.peerId}/radwege-app`],
      ['/api/v1/use-cases/{publisher}/{id}/fit', `/api/v1/use-cases/${t.node.peerId}/radwege-app/fit?kommune=${t.node.peerId}`],
      ['/api/v1/use-cases/{publisher}/{id}', `/api/v1/use-cases/${t.node.peerId}/gibt-es-nicht`],
      // OGC API, and its exceptions.
      ['/', '/?f=json'],
      ['/conformance', '/conformance'],
      ['/collections', '/collections'],
      ['/collections/catalog', '/collections/catalog'],
      ['/collections/region', '/collections/region'],
      ['/collections/{collectionId}', '/collections/stadt-arnsberg.radwege.netz'],
      ['/collections/{collectionId}', '/collections/stadt-arnsberg.gibt-es-nicht.netz']
    ]
    for (const [path, url] of calls) await check('get', path, url)
    // Every GET route with a JSON answer is among the calls.
    const jsonGets = Object.entries(doc.paths as Record<string, any>)
      .filter(([, ops]) => ops.get?.responses['200']?.content['application/json'] !== undefined)
      .map(([p]) => p)
    expect(jsonGets.filter(p => !calls.some(([path]) => path === p)).filter(p => p !== '/openapi.json')).toEqual([])
    await check('post', '/api/action/{action}', '/api/action/package_search', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ q: 'Radweg', rows: 5 })
    })
    await check('post', '/dsp/catalog/request', '/dsp/catalog/request', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'CatalogRequestMessage' })
    })
    await check('post', '/dsp/catalog/request', '/dsp/catalog/request', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ '@type': 'CatalogRequestMessage' })
    })
    const bad = await t.api('/api/v1/datasets', { ...json({ id: 'x' }) })
    expect(bad.status).toBe(400)
  })
})
