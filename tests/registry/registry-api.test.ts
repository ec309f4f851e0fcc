import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EntrySigner,
  generateIdentityKey,
  PARTICIPANT_LIST_TYP,
  peerIdOf,
  REGISTRATION_TYP,
  verifyParticipantList,
  type Ed25519PrivateKey,
  type Registration
} from '@swf/protocol'
import { initRegistry, startRegistry, type RunningRegistry } from '@swf/registry/registry'
import { tempDir } from '../helpers/node.js'

const dir = tempDir('swf-registry-')
let registry: RunningRegistry
let token: string

beforeAll(async () => {
  token = (await initRegistry(join(dir, 'r'), { host: '127.0.0.1', port: 0 })).adminToken
  registry = await startRegistry({ dataDir: join(dir, 'r'), env: {}, log: pino({ level: 'silent' }) })
})
afterAll(async () => {
  await registry.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function registration(key: Ed25519PrivateKey, over: Partial<Registration> = {}): Promise<string> {
  const reg: Registration = {
    v: 1,
    kommune: 'Stadt Soest',
    ags: '05974040',
    peerId: peerIdOf(key),
    addresses: ['/ip4/127.0.0.1/tcp/4001'],
    issuedAt: new Date().toISOString(),
    ...over
  }
  return (await EntrySigner.create(key)).signDocument(reg, REGISTRATION_TYP)
}

const post = async (path: string, body: unknown, auth = false): Promise<Response> =>
  fetch(`${registry.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })

async function list(): Promise<{ serial: number; peers: string[] }> {
  const res = await fetch(`${registry.url}/participants`)
  expect(res.headers.get('content-type')).toBe('application/jose')
  const l = await verifyParticipantList(await res.text(), registry.publicKeyJwk, registry.peerId)
  return { serial: l.serial, peers: l.participants.map(p => p.peerId) }
}

describe('registry HTTP API', () => {
  it('registers (pending), approves, lists signed with a growing serial, revokes', async () => {
    const soest = await generateIdentityKey()
    const r = await post('/participants', { registration: await registration(soest) })
    expect(r.status).toBe(201)
    // Pending: known by its peer id; the AGS is taken only on approval.
    expect(await r.json()).toMatchObject({ id: peerIdOf(soest), ags: '05974040', status: 'pending', peerId: peerIdOf(soest) })
    const l0 = await list()
    expect(l0.peers).toEqual([])

    expect((await post('/participants/05974040/approve', {}, true)).status).toBe(200)
    const l1 = await list()
    expect(l1.peers).toEqual([peerIdOf(soest)])
    expect(l1.serial).toBeGreaterThan(l0.serial)

    // New addresses of an active participant wait for the operator (202), then re-sign the list.
    const again = await post('/participants', { registration: await registration(soest, { addresses: ['/ip4/127.0.0.1/tcp/4999'] }) })
    expect(again.status).toBe(202)
    expect((await again.json()) as { addresses: string[]; pendingChange: { addresses: string[] } }).toMatchObject({
      addresses: ['/ip4/127.0.0.1/tcp/4001'],
      pendingChange: { addresses: ['/ip4/127.0.0.1/tcp/4999'] }
    })
    expect((await list()).serial).toBe(l1.serial)
    const approved = await post('/participants/05974040/approve', {}, true)
    expect(((await approved.json()) as { addresses: string[] }).addresses).toEqual(['/ip4/127.0.0.1/tcp/4999'])
    expect((await list()).serial).toBeGreaterThan(l1.serial)

    expect((await post(`/participants/${peerIdOf(soest)}/revoke`, {}, true)).status).toBe(200)
    expect((await list()).peers).toEqual([])
    const revoked = await post('/participants', { registration: await registration(soest) })
    expect(revoked.status).toBe(403)
  })

  it('signs the list with the registry key as a canonical JWS', async () => {
    const jws = await (await fetch(`${registry.url}/participants`)).text()
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString())
    expect(header).toEqual({ alg: 'EdDSA', kid: registry.peerId, typ: PARTICIPANT_LIST_TYP })
  })

  it('answers bad requests with a 4xx naming the problem', async () => {
    const olpe = await generateIdentityKey()
    const other = await generateIdentityKey()
    const good = await registration(olpe, { ags: '05966024', kommune: 'Stadt Olpe' })
    const [h, p, s] = good.split('.')
    const forgedPayload = JSON.parse(Buffer.from(p!, 'base64url').toString())
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      ['invalid JSON', async () => post('/participants', '{nope'), 400, 'invalid_json'],
      ['missing registration', async () => post('/participants', {}), 400, 'validation_failed'],
      ['not a JWS', async () => post('/participants', { registration: 'abc' }), 400, 'invalid_registration'],
      [
        'signed by another key',
        async () =>
          post('/participants', {
            registration: `${h}.${p}.${(await registration(other, { ags: '05966024', peerId: peerIdOf(olpe) })).split('.')[2]}`
          }),
        400,
        'invalid_registration'
      ],
      [
        'payload changed',
        async () =>
          post('/participants', {
            registration: `${h}.${Buffer.from(JSON.stringify({ ...forgedPayload, ags: '05966025' })).toString('base64url')}.${s}`
          }),
        400,
        'invalid_registration'
      ],
      [
        'stale timestamp (replay)',
        async () =>
          post('/participants', { registration: await registration(olpe, { ags: '05966024', issuedAt: '2020-01-01T00:00:00.000Z' }) }),
        400,
        'invalid_registration'
      ],
      [
        'bad AGS',
        async () => post('/participants', { registration: await registration(olpe, { ags: '123' }) }),
        400,
        'invalid_registration'
      ],
      ['approve without token', async () => post('/participants/05974040/approve', {}), 401, 'unauthorized'],
      [
        'approve with wrong token',
        async () => fetch(`${registry.url}/participants/05974040/approve`, { method: 'POST', headers: { authorization: 'Bearer x' } }),
        403,
        'forbidden'
      ],
      ['approve unknown', async () => post('/participants/00000000/approve', {}, true), 404, 'not_found'],
      ['list all without token', async () => fetch(`${registry.url}/participants/all`), 401, 'unauthorized']
    ]
    const before = await (await fetch(`${registry.url}/participants/all`, { headers: { authorization: `Bearer ${token}` } })).text()
    for (const [name, call, status, code] of cases) {
      const res = await call()
      expect(res.status, name).toBe(status)
      expect(((await res.json()) as { error: { code: string } }).error.code, name).toBe(code)
    }
    const after = await (await fetch(`${registry.url}/participants/all`, { headers: { authorization: `Bearer ${token}` } })).text()
    expect(after).toBe(before)
  })
})
