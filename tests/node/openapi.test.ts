import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/node.js'

let t: TestNode
beforeAll(async () => { t = await startTestNode() })
afterAll(async () => { await t.cleanup() })

describe('OpenAPI', () => {
  it('documents every HTTP endpoint of the node', async () => {
    const doc = await (await t.api('/openapi.json', { auth: false })).json()
    expect(doc.openapi).toBe('3.1.0')
    const documented = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map(m => `${m.toUpperCase()} ${path}`)))
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
    expect(body.properties.license.enum).toContain('dl-by-de/2.0')
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
})
