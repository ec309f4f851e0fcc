import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, snapshotState, startTestNode, type TestNode } from '../helpers/node.js'
import { waitFor } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

const http = (extra: Record<string, unknown>) => ({ http: { host: '127.0.0.1', port: 0, ...extra } })

/** Writes a raw request and returns what the server answered (until it closed the socket). */
async function rawRequest(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text))
    let answer = ''
    socket.on('data', d => {
      answer += d.toString('latin1')
    })
    socket.on('close', () => {
      resolve(answer)
    })
    socket.on('error', reject)
  })
}

// Writes that need no admin token, on purpose: reading the DSP catalog by
// POST (the DSP defines it so), and logging in and out of the web UI.
// Reads by POST: the DSP catalog request, CKAN's read actions (ckanapi POSTs every call), the login form.
const PUBLIC_POSTS = new Set([
  'POST /dsp/catalog/request',
  'POST /api/3/action/:action',
  'POST /api/action/:action',
  'POST /verwaltung/anmelden',
  'POST /verwaltung/abmelden'
])

describe('every write route needs the admin token', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode(http({ maxAuthFailures: 10_000 }))
    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'radwege' })))).status).toBe(201)
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('answers 401 without a token, 403 with a wrong one (API) or sends to the login (web), and changes nothing', async () => {
    const routes = [
      ...new Set(t.node.app.routes.filter(r => !['GET', 'HEAD', 'OPTIONS', 'ALL'].includes(r.method)).map(r => `${r.method} ${r.path}`))
    ]
    const writes = routes.filter(r => !PUBLIC_POSTS.has(r))
    expect(writes.length).toBeGreaterThanOrEqual(8)
    const before = snapshotState(t)
    let tried = 0
    for (const route of writes) {
      const [method, pattern] = route.split(' ') as [string, string]
      const path = pattern.replace(':id', 'radwege').replace(':distId', 'daten')
      const body = JSON.stringify(sampleDataset({ id: 'radwege', title: 'Übernommen' }))
      const none = await t.api(path, { method, body, headers: { 'content-type': 'application/json' }, auth: false, redirect: 'manual' })
      const wrong = await t.api(path, {
        method,
        body,
        headers: { 'content-type': 'application/json', authorization: 'Bearer falsch' },
        redirect: 'manual'
      })
      if (path.startsWith('/verwaltung')) {
        // The web admin authenticates by cookie: no cookie, no change, back to the login.
        expect([none.status, none.headers.get('location')], route).toEqual([303, '/verwaltung'])
        expect([wrong.status, wrong.headers.get('location')], route).toEqual([303, '/verwaltung'])
      } else {
        expect(none.status, route).toBe(401)
        expect((await none.json()).error.code).toBe('unauthorized')
        expect(wrong.status, route).toBe(403)
      }
      tried += 2
    }
    expect(snapshotState(t)).toBe(before)
    tally('unauthenticated write attempts (every write route)', tried)
  })
})

describe('HTTP limits', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode(
      http({ maxAuthFailures: 3, writesPerMinute: 60, writeBurst: 6, headersTimeoutMs: 1_000, maxHeaderBytes: 8 * 1024 })
    )
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('refuses wrong admin tokens after too many from one address (API and web login), with Retry-After', async () => {
    for (let i = 0; i < 3; i++)
      expect((await t.api('/api/v1/datasets/x', { method: 'DELETE', headers: { authorization: `Bearer falsch-${i}` } })).status).toBe(403)
    const blocked = await t.api('/api/v1/datasets', {
      ...json(sampleDataset({ id: 'gesperrt' })),
      headers: { authorization: 'Bearer falsch' }
    })
    expect(blocked.status).toBe(429) // the right token is still accepted: tests/node/auth-lockout.test.ts
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await blocked.json()).error.code).toBe('too_many_failed_logins')
    const login = (token: string): Promise<Response> =>
      fetch(`${t.node.url}/verwaltung/anmelden`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' })
    const refused = await login('falsch')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    // The administrator's own login is never locked out by wrong ones from the same address.
    const own = await login(t.token)
    expect(own.status).toBe(303)
    expect(own.headers.get('set-cookie')).toContain('swf_session=')
    expect(t.node.store.countEntries()).toBe(0)
    // Reading is not affected.
    expect((await t.api('/api/v1/datasets')).status).toBe(200)
  })

  it('limits write requests per address; reads stay open', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await t.api('/api/v1/datasets', json({ id: `zu-viel-${i}` }))).status)
    // The bucket (6 at once) is partly spent by the test above; after it: 429.
    expect(statuses.filter(s => s === 429).length).toBeGreaterThanOrEqual(4)
    const last = await t.api('/api/v1/datasets', json({ id: 'noch-einer' }))
    expect(last.status).toBe(429)
    expect((await last.json()).error.code).toBe('rate_limited')
    expect(last.headers.get('retry-after')).toMatch(/^\d+$/)
    for (let i = 0; i < 20; i++) expect((await t.api('/api/v1/status')).status).toBe(200)
    tally('write requests over the rate limit refused', statuses.filter(s => s === 429).length + 1)
  })

  it('answers 431 to oversized headers and closes a connection whose headers do not arrive in time', async () => {
    const big = await rawRequest(t.node.url, `GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Fill: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(big).toMatch(/^HTTP\/1\.1 431/)
    const { hostname, port } = new URL(t.node.url)
    const socket = connect(Number(port), hostname, () => socket.write('GET /api/v1/status HTTP/1.1\r\nHost: x\r\n'))
    let closed = false
    let answer = ''
    socket.on('data', d => {
      answer += d.toString('latin1')
    })
    socket.on('close', () => {
      closed = true
    })
    socket.on('error', () => {
      closed = true
    })
    await waitFor(() => closed, 'slow client disconnected', 10_000)
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true)
  })
})

describe('CORS and security headers', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode(http({}))
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('lets any origin read, and no origin write', async () => {
    const origin = { origin: 'https://app.example' }
    const read = await fetch(`${t.node.url}/api/v1/datasets`, { headers: origin })
    expect(read.headers.get('access-control-allow-origin')).toBe('*')
    const preflightRead = await fetch(`${t.node.url}/api/v1/search`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'GET' }
    })
    expect(preflightRead.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflightRead.headers.get('access-control-allow-methods')).toBe('GET, HEAD')
    const preflightWrite = await fetch(`${t.node.url}/api/v1/datasets/x`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' }
    })
    expect(preflightWrite.headers.get('access-control-allow-origin')).toBeNull()
    const write = await t.api('/api/v1/datasets', {
      ...json(sampleDataset({ id: 'cors' })),
      headers: { ...origin, 'content-type': 'application/json' }
    })
    expect(write.status).toBe(201)
    expect(write.headers.get('access-control-allow-origin')).toBeNull()
    const admin = await fetch(`${t.node.url}/verwaltung`, { headers: origin })
    expect(admin.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('sends security headers on the API and a strict CSP on the web UI', async () => {
    const api = await fetch(`${t.node.url}/api/v1/status`)
    expect(api.headers.get('x-content-type-options')).toBe('nosniff')
    expect(api.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    const page = await fetch(`${t.node.url}/`)
    const csp = page.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("default-src 'self'")
  })
})
