import { readFileSync } from 'node:fs'
import { CompactSign, base64url, importJWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  canonicalBytes,
  canonicalize,
  datasetMetadataSchema,
  EntrySigner,
  EntryVerifier,
  generateIdentityKey,
  identityKeyFromSeed,
  InvalidEntryError,
  peerIdOf,
  privateKeyFromJwk,
  privateKeyToJwk,
  publicJwkOf,
  sha256Hex,
  type Ed25519PrivateKey,
  type EntryPayload,
  type InvalidEntryReason
} from '@swf/protocol'
import { sampleDataset } from '../helpers/fixtures.js'

let alice: Ed25519PrivateKey
let mallory: Ed25519PrivateKey
let signer: EntrySigner
const verifier = new EntryVerifier()

function payloadFor(publisher: string, seq = 1, prevHash: string | null = null): EntryPayload {
  return {
    v: 1,
    publisher,
    datasetId: 'radwege-arnsberg',
    seq,
    prevHash,
    issuedAt: '2026-11-22T10:00:00.000Z',
    tombstone: false,
    dataset: datasetMetadataSchema.parse(sampleDataset())
  }
}

async function rejection(jws: string, options = {}): Promise<InvalidEntryReason> {
  try {
    await verifier.verify(jws, options)
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidEntryError)
    return (err as InvalidEntryError).reason
  }
  throw new Error('entry was accepted')
}

/** Signs arbitrary header + payload bytes, as a forger would. */
async function forge(key: Ed25519PrivateKey, header: Record<string, unknown>, payload: unknown): Promise<string> {
  const jwk = await importJWK(privateKeyToJwk(key), 'EdDSA')
  return new CompactSign(canonicalBytes(payload)).setProtectedHeader(header as { alg: string }).sign(jwk)
}

beforeAll(async () => {
  alice = await generateIdentityKey()
  mallory = await generateIdentityKey()
  signer = await EntrySigner.create(alice)
})

describe('entry signing', () => {
  it('round-trips: sign then verify returns the same payload and hash', async () => {
    const signed = await signer.sign(payloadFor(signer.peerId))
    const verified = await verifier.verify(signed.jws)
    expect(verified.payload).toEqual(signed.payload)
    expect(verified.hash).toBe(sha256Hex(signed.jws))
    expect(signed.jws.split('.')).toHaveLength(3)
    const header = JSON.parse(Buffer.from(base64url.decode(signed.jws.split('.')[0]!)).toString())
    expect(header).toEqual({ alg: 'EdDSA', kid: signer.peerId, typ: 'swf-entry+jws' })
  })

  it('accepts the registered key of the publisher and rejects another one', async () => {
    const signed = await signer.sign(payloadFor(signer.peerId))
    await expect(verifier.verify(signed.jws, { registeredKey: publicJwkOf(alice) })).resolves.toBeDefined()
    expect(await rejection(signed.jws, { registeredKey: publicJwkOf(mallory) })).toBe('publisher-mismatch')
  })

  it('rejects a tampered payload', async () => {
    const signed = await signer.sign(payloadFor(signer.peerId))
    const [h, , s] = signed.jws.split('.')
    const changed = { ...signed.payload, dataset: { ...signed.payload.dataset!, title: 'Gefälscht' } }
    const tampered = `${h}.${base64url.encode(canonicalize(changed))}.${s}`
    expect(await rejection(tampered)).toBe('bad-signature')
    // Flip one character of the signature as well.
    const sig = s!
    const flipped = `${h}.${signed.jws.split('.')[1]}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`
    expect(await rejection(flipped)).toBe('bad-signature')
  })

  it('rejects an entry signed by a wrong key while claiming another publisher', async () => {
    const jws = await forge(mallory, { alg: 'EdDSA', kid: peerIdOf(alice), typ: 'swf-entry+jws' }, payloadFor(peerIdOf(alice)))
    expect(await rejection(jws)).toBe('bad-signature')
  })

  it('rejects kid ≠ publisher', async () => {
    const jws = await forge(mallory, { alg: 'EdDSA', kid: peerIdOf(mallory), typ: 'swf-entry+jws' }, payloadFor(peerIdOf(alice)))
    expect(await rejection(jws)).toBe('publisher-mismatch')
    await expect(signer.sign(payloadFor(peerIdOf(mallory)))).rejects.toThrow(InvalidEntryError)
  })

  it('rejects alg none and HS256', async () => {
    const payload = base64url.encode(canonicalize(payloadFor(signer.peerId)))
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: signer.peerId, typ: 'swf-entry+jws' }))}.${payload}.`
    expect(await rejection(none)).toBe('bad-algorithm')
    const secret = new TextEncoder().encode('a-shared-secret-that-everyone-knows-123')
    const hs = await new CompactSign(canonicalBytes(payloadFor(signer.peerId)))
      .setProtectedHeader({ alg: 'HS256', kid: signer.peerId, typ: 'swf-entry+jws' })
      .sign(secret)
    expect(await rejection(hs)).toBe('bad-algorithm')
  })

  it('rejects non-canonical encodings and malformed input', async () => {
    const p = payloadFor(signer.peerId)
    const reordered = await forge(alice, { typ: 'swf-entry+jws', alg: 'EdDSA', kid: signer.peerId }, p)
    expect(await rejection(reordered)).toBe('non-canonical')
    const jwk = await importJWK(privateKeyToJwk(alice), 'EdDSA')
    const spaced = await new CompactSign(new TextEncoder().encode(JSON.stringify(p, null, 1)))
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.peerId, typ: 'swf-entry+jws' })
      .sign(jwk)
    expect(await rejection(spaced)).toBe('non-canonical')
    expect(await rejection('not-a-jws')).toBe('malformed')
    expect(await rejection('a.b.c')).toBe('malformed')
    expect(await rejection('x'.repeat(300_000))).toBe('malformed')
    const wrongShape = await forge(alice, { alg: 'EdDSA', kid: signer.peerId, typ: 'swf-entry+jws' }, { ...p, seq: 0 })
    expect(await rejection(wrongShape)).toBe('malformed')
  })

  it('encodes canonically regardless of key order', () => {
    const a = { b: 1, a: [3, { z: 'ü', y: null }], c: 1e21 }
    const b = { c: 1e21, a: [3, { y: null, z: 'ü' }], b: 1 }
    expect(canonicalize(a)).toBe(canonicalize(b))
    expect(canonicalize(a)).toBe('{"a":[3,{"y":null,"z":"ü"}],"b":1,"c":1e+21}')
    expect(sha256Hex(canonicalBytes(a))).toBe(sha256Hex(canonicalBytes(b)))
  })

  it('exports and re-imports the identity key as JWK', async () => {
    const jwk = privateKeyToJwk(alice)
    const back = await privateKeyFromJwk(jwk)
    expect(peerIdOf(back)).toBe(peerIdOf(alice))
    await expect(privateKeyFromJwk({ ...jwk, x: publicJwkOf(mallory).x })).rejects.toThrow(/does not match/)
    await expect(privateKeyFromJwk({ kty: 'RSA' })).rejects.toThrow(/Ed25519/)
  })
})

describe('committed test vectors', () => {
  const vectors = JSON.parse(readFileSync(new URL('../../protocol/test-vectors/entry-v1.json', import.meta.url), 'utf8'))

  it('derive the RFC 8032 public key and the peer id from the seed', async () => {
    const key = await identityKeyFromSeed(Buffer.from(vectors.seedHex, 'hex'))
    // RFC 8032, section 7.1, TEST 1
    expect(Buffer.from(key.publicKey.raw).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(peerIdOf(key)).toBe(vectors.peerId)
    expect(privateKeyToJwk(key)).toEqual(vectors.privateJwk)
  })

  it('reproduce every JWS and hash byte for byte, and verify', async () => {
    const key = await identityKeyFromSeed(Buffer.from(vectors.seedHex, 'hex'))
    const s = await EntrySigner.create(key)
    expect(vectors.entries.length).toBeGreaterThanOrEqual(2)
    for (const v of vectors.entries) {
      expect(canonicalize(v.payload)).toBe(v.canonicalPayload)
      const signed = await s.sign(v.payload)
      expect(signed.jws).toBe(v.jws)
      expect(signed.hash).toBe(v.hash)
      const verified = await verifier.verify(v.jws)
      expect(verified.hash).toBe(v.hash)
    }
    expect(vectors.entries[1].payload.prevHash).toBe(vectors.entries[0].hash)
  })
})
