import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/node.js'

// A same-site page once made a logged-in admin publish (no CSRF token, no
// Origin check), and the session cookie was the raw admin token.

describe('web admin: sessions, CSRF and Origin', () => {
  let t: TestNode
  let https: TestNode
  beforeAll(async () => {
    t = await startTestNode()
    https = await startTestNode({ http: { host: '127.0.0.1', port: 0, publicUrl: 'https://daten.soest.example' } })
  })
  afterAll(async () => {
    await t.cleanup()
    await https.cleanup()
  })

  const login = async (n: TestNode): Promise<{ cookie: string; setCookie: string }> => {
    const res = await fetch(`${n.node.url}/verwaltung/anmelden`, {
      method: 'POST',
      body: new URLSearchParams({ token: n.token }),
      redirect: 'manual'
    })
    expect(res.status).toBe(303)
    const setCookie = res.headers.get('set-cookie') ?? ''
    return { cookie: setCookie.split(';')[0]!, setCookie }
  }
  const csrfOf = async (n: TestNode, cookie: string): Promise<string> => {
    const html = await (await fetch(`${n.node.url}/verwaltung/neu`, { headers: { cookie } })).text()
    return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  }
  const publish = async (cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> => {
    const body = new FormData()
    for (const [k, v] of Object.entries({ title: 'Angriff', description: 'Von einer fremden Seite.', license: 'cc-zero', ...fields }))
      body.set(k, v)
    return fetch(`${t.node.url}/verwaltung/neu`, { method: 'POST', body, headers: { cookie, ...headers }, redirect: 'manual' })
  }

  it('the cookie carries a session id, never the admin token; the token itself as cookie logs nobody in', async () => {
    const { cookie, setCookie } = await login(t)
    expect(cookie).toMatch(/^swf_session=[A-Za-z0-9_-]{43}$/)
    expect(setCookie).not.toContain(t.token)
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Strict/i)
    expect(setCookie).not.toMatch(/Secure/i) // plain http on loopback
    const asToken = await fetch(`${t.node.url}/verwaltung/neu`, { headers: { cookie: `swf_session=${t.token}` }, redirect: 'manual' })
    expect(asToken.status).toBe(303)
  })

  it('behind https (publicUrl) the cookie is Secure', async () => {
    expect((await login(https)).setCookie).toMatch(/;\s*Secure/i)
  })

  it('a form post without the CSRF token, or from another origin, is refused (403) and publishes nothing', async () => {
    const { cookie } = await login(t)
    const csrf = await csrfOf(t, cookie)
    expect(csrf.length).toBeGreaterThan(20)
    const before = t.node.store.countEntries()
    expect((await publish(cookie, {})).status).toBe(403)
    expect((await publish(cookie, { csrf: 'x'.repeat(csrf.length) })).status).toBe(403)
    expect((await publish(cookie, { csrf }, { origin: 'https://boese.example' })).status).toBe(403)
    expect(t.node.store.countEntries()).toBe(before)
    // The node's own form: published.
    const ok = await publish(cookie, { csrf, title: 'Echt' }, { origin: new URL(t.node.url).origin })
    expect(ok.status).toBe(303)
    expect(t.node.store.countEntries()).toBe(before + 1)
  })

  it('logging out needs the token too, and ends the session', async () => {
    const { cookie } = await login(t)
    const csrf = await csrfOf(t, cookie)
    expect(
      (
        await fetch(`${t.node.url}/verwaltung/abmelden`, {
          method: 'POST',
          headers: { cookie },
          body: new URLSearchParams({}),
          redirect: 'manual'
        })
      ).status
    ).toBe(403)
    expect(
      (
        await fetch(`${t.node.url}/verwaltung/abmelden`, {
          method: 'POST',
          headers: { cookie },
          body: new URLSearchParams({ csrf }),
          redirect: 'manual'
        })
      ).status
    ).toBe(303)
    expect((await fetch(`${t.node.url}/verwaltung/neu`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303)
  })
})
