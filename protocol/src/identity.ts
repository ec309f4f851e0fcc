import { generateKeyPair, generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import type { Ed25519PrivateKey, Ed25519PublicKey } from '@libp2p/interface'
import { base64url } from 'jose'
import { InvalidKeyError } from './errors.js'

// One identity per node: the Ed25519 key that signs catalog entries is also
// the libp2p identity, so the peer id *is* the publisher id and embeds the
// public key. Registering or revoking a node is one thing, not two.

export interface Ed25519PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid?: string
}

export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string
}

export type { Ed25519PrivateKey }

export async function generateIdentityKey(): Promise<Ed25519PrivateKey> {
  return generateKeyPair('Ed25519')
}

/** Deterministic key from a 32-byte seed (test vectors, reproducible fixtures). */
export async function identityKeyFromSeed(seed: Uint8Array): Promise<Ed25519PrivateKey> {
  if (seed.length !== 32) throw new InvalidKeyError('Ed25519 seed must be 32 bytes')
  return generateKeyPairFromSeed('Ed25519', seed)
}

export function peerIdOf(key: Ed25519PrivateKey): string {
  return peerIdFromPublicKey(key.publicKey).toString()
}

/** libp2p keeps Ed25519 private keys as seed ‖ public key (64 bytes). */
export function privateKeyToJwk(key: Ed25519PrivateKey): Ed25519PrivateJwk {
  return {
    kty: 'OKP',
    crv: 'Ed25519',
    x: base64url.encode(key.publicKey.raw),
    d: base64url.encode(key.raw.subarray(0, 32)),
    kid: peerIdOf(key)
  }
}

export function publicJwkOf(key: Ed25519PrivateKey): Ed25519PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: base64url.encode(key.publicKey.raw), kid: peerIdOf(key) }
}

export async function privateKeyFromJwk(jwk: unknown): Promise<Ed25519PrivateKey> {
  const j = jwk as Partial<Ed25519PrivateJwk> | null
  if (j?.kty !== 'OKP' || j.crv !== 'Ed25519' || typeof j.d !== 'string' || typeof j.x !== 'string') {
    throw new InvalidKeyError('expected an Ed25519 private JWK (kty OKP, crv Ed25519, d, x)')
  }
  let seed: Uint8Array
  try {
    seed = base64url.decode(j.d)
  } catch {
    throw new InvalidKeyError('JWK d is not base64url')
  }
  if (seed.length !== 32) throw new InvalidKeyError('JWK d must be 32 bytes')
  // Derive the public half from d instead of trusting x: a key file whose x
  // does not belong to d would sign entries nobody can verify.
  const key = await generateKeyPairFromSeed('Ed25519', seed)
  if (base64url.encode(key.publicKey.raw) !== j.x) throw new InvalidKeyError('JWK x does not match d')
  return key
}

/** The raw 32-byte Ed25519 public key embedded in a peer id. */
export function publicKeyBytesOfPeerId(peerId: string): Uint8Array {
  let parsed
  try {
    parsed = peerIdFromString(peerId)
  } catch {
    throw new InvalidKeyError(`not a peer id: ${peerId.slice(0, 80)}`)
  }
  if (parsed.type !== 'Ed25519') throw new InvalidKeyError('peer id is not an Ed25519 key')
  return parsed.publicKey.raw
}

export function publicJwkOfPeerId(peerId: string): Ed25519PublicJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: base64url.encode(publicKeyBytesOfPeerId(peerId)), kid: peerId }
}

/** The peer id of an Ed25519 public JWK (e.g. the pinned registry key). */
export function peerIdOfPublicJwk(jwk: Ed25519PublicJwk): string {
  let raw: Uint8Array
  try {
    raw = base64url.decode(jwk.x)
  } catch {
    throw new InvalidKeyError('JWK x is not base64url')
  }
  if (raw.length !== 32) throw new InvalidKeyError('JWK x must be 32 bytes')
  return peerIdFromPublicKey(publicKeyFromRaw(raw) as Ed25519PublicKey).toString()
}
