import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EntrySigner,
  generateIdentityKey,
  peerIdOf,
  REGISTRATION_TYP,
  verifyParticipantList,
  type Ed25519PrivateKey,
  type Registration
} from '@swf/protocol'
import type { RunningRegistry } from '@swf/registry/registry'
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js'
import { tally } from '../helpers/tally.js'

// One anonymous client and one registered participant against the registry:
// squatting another Kommune's AGS, a flood of registrations, renaming itself
// and moving its address without the operator, guessing the operator token.

const OLPE = '05966024'

async function registration(key: Ed25519PrivateKey, over: Partial<Registration> = {}): Promise<string> {
  const reg: Registration = {
    v: 1,
    kommune: 'Stadt Olpe',
    ags: OLPE,
    peerId: peerIdOf(key),
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
    issuedAt: new Date().toISOString(),
    ...over
  }
  return (await EntrySigner.create(key)).signDocument(reg, REGISTRATION_TYP)
}

describe('registry against squatters and floods (default limits)', () => {
  let registry: RunningRegistry
  let token: string
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    auth: string | null = token
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${registry.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth === null ? {} : { authorization: `Bearer ${auth}` }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: res.status, body: await res.json() }
  }
  const signedList = async (): Promise<{
    serial: number
    participants: Array<{ peerId: string; kommune: string; addresses: string[] }>
  }> => {
    const jws = await (await fetch(`${registry.url}/participants`)).text()
    return verifyParticipantList(jws, registry.publicKeyJwk, registry.peerId)
  }

  let r: TestRegistry
  beforeAll(async () => {
    r = await startTestRegistry()
    ;({ registry, token } = r)
  })
  afterAll(async () => {
    await r.cleanup()
  })

  it('a pending registration reserves no AGS: the real Kommune registers too, the operator approves it by peer id and deletes the squatter', async () => {
    const squatter = await generateIdentityKey()
    const olpe = await generateIdentityKey()
    expect((await call('POST', '/participants', { registration: await registration(squatter) }, null)).status).toBe(201)
    // Before: 409 for the real Olpe, also after the squatter was revoked.
    expect((await call('POST', '/participants', { registration: await registration(olpe) }, null)).status).toBe(201)
    const ambiguous = await call('POST', `/participants/${OLPE}/approve`)
    expect(ambiguous.status).toBe(409)
    expect(ambiguous.body.error.code).toBe('ambiguous')
    const approved = await call('POST', `/participants/${peerIdOf(olpe)}/approve`)
    expect(approved.body).toMatchObject({ id: OLPE, status: 'active', peerId: peerIdOf(olpe) })
    const second = await call('POST', `/participants/${peerIdOf(squatter)}/approve`)
    expect(second.status).toBe(409)
    expect(second.body.error.field).toBe('ags')
    expect((await call('DELETE', `/participants/${peerIdOf(squatter)}`)).body).toMatchObject({
      peerId: peerIdOf(squatter),
      status: 'pending'
    })
    expect((await call('GET', '/participants/all')).body.map((p: any) => p.peerId)).toEqual([peerIdOf(olpe)])
    // An active participant is not deleted (revoke first).
    expect((await call('DELETE', `/participants/${OLPE}`)).status).toBe(409)
    expect((await signedList()).participants.map(p => p.peerId)).toEqual([peerIdOf(olpe)])
  })

  it('300 anonymous registrations from one address: the rest after the burst get 429, the database stays small', async () => {
    const statuses = new Map<number, number>()
    for (let i = 0; i < 300; i++) {
      const key = await generateIdentityKey()
      const r = await call(
        'POST',
        '/participants',
        { registration: await registration(key, { ags: String(5_900_000 + i).padStart(8, '0') }) },
        null
      )
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
    }
    tally('anonymous registrations refused by the registry rate limit', statuses.get(429) ?? 0)
    expect(statuses.get(201)).toBeLessThanOrEqual(11)
    expect(statuses.get(429)).toBeGreaterThanOrEqual(289)
    expect((await call('GET', '/participants/all')).body.filter((p: any) => p.status === 'pending').length).toBeLessThanOrEqual(11)
  }, 60_000)

  it('wrong operator tokens: after 10 from one address every further wrong one is refused (429)', async () => {
    for (let i = 0; i < 10; i++) expect((await call('GET', '/participants/all', undefined, `falsch-${i}`)).status).toBe(403)
    const locked = await call('GET', '/participants/all', undefined, 'falsch-10')
    expect(locked.status).toBe(429)
    expect(locked.body.error.code).toBe('locked_out')
    // The right token is never refused (tests/registry/operator-lockout.test.ts).
    expect((await call('GET', '/participants/all', undefined, token)).status).toBe(200)
  })
})

describe('registry: pending registrations expire; renames wait for the operator', () => {
  let registry: RunningRegistry
  let token: string
  const call = async (method: string, path: string, body?: unknown, auth = true): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${registry.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: res.status, body: await res.json() }
  }

  let r: TestRegistry
  beforeAll(async () => {
    r = await startTestRegistry({ pendingTtlMs: 500 })
    ;({ registry, token } = r)
  })
  afterAll(async () => {
    await r.cleanup()
  })

  it('a pending registration older than limits.pendingTtlMs is gone', async () => {
    const key = await generateIdentityKey()
    expect((await call('POST', '/participants', { registration: await registration(key) }, false)).status).toBe(201)
    expect((await call('GET', '/participants/all')).body).toHaveLength(1)
    await new Promise(r => setTimeout(r, 700))
    expect((await call('GET', '/participants/all')).body).toEqual([])
  })

  it('an active participant renaming itself "Stadt Soest" with a new address: 202, the signed list unchanged until approved', async () => {
    const key = await generateIdentityKey()
    expect((await call('POST', '/participants', { registration: await registration(key) }, false)).status).toBe(201)
    expect((await call('POST', `/participants/${peerIdOf(key)}/approve`)).body.status).toBe('active')
    const list = async (): Promise<any> =>
      verifyParticipantList(await (await fetch(`${registry.url}/participants`)).text(), registry.publicKeyJwk, registry.peerId)
    const before = await list()
    const rename = await call(
      'POST',
      '/participants',
      { registration: await registration(key, { kommune: 'Stadt Soest', addresses: ['/ip4/203.0.113.66/tcp/22'] }) },
      false
    )
    expect(rename.status).toBe(202)
    expect(rename.body).toMatchObject({
      kommune: 'Stadt Olpe',
      addresses: ['/ip4/127.0.0.1/tcp/4001'],
      pendingChange: { kommune: 'Stadt Soest', addresses: ['/ip4/203.0.113.66/tcp/22'] }
    })
    const after = await list()
    expect(after.serial).toBe(before.serial)
    expect(after.participants[0]).toMatchObject({ kommune: 'Stadt Olpe', addresses: ['/ip4/127.0.0.1/tcp/4001'] })
    expect(after.participants[0].pendingChange).toBeUndefined()
    // The operator decides.
    expect((await call('POST', `/participants/${OLPE}/approve`)).body).toMatchObject({
      kommune: 'Stadt Soest',
      addresses: ['/ip4/203.0.113.66/tcp/22']
    })
    expect((await list()).participants[0]).toMatchObject({ kommune: 'Stadt Soest' })
  })
})
