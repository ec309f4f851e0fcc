import { CompactSign, base64url, compactVerify, importJWK, type CryptoKey, type KeyObject } from 'jose'
import { canonicalBytes, canonicalize } from './canonical.js'
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './codec.js'
import { InvalidEntryError } from './errors.js'
import type { Ed25519PublicJwk } from './identity.js'

// Every signed document of the protocol (catalog entries, registrations,
// the participant list) is a compact JWS, alg EdDSA, whose protected header
// is exactly {"alg":"EdDSA","kid":…,"typ":…} and whose payload is RFC 8785
// canonical JSON. Both are checked byte for byte, so a document has one form.

export const JWS_ALG = 'EdDSA'

export type JoseKey = CryptoKey | KeyObject

const textDecoder = new TextDecoder('utf-8', { fatal: true })

export function protectedHeader(kid: string, typ: string): { alg: string; kid: string; typ: string } {
  return { alg: JWS_ALG, kid, typ }
}

export async function signCanonicalJws(payload: unknown, key: JoseKey, kid: string, typ: string): Promise<string> {
  return new CompactSign(canonicalBytes(payload)).setProtectedHeader(protectedHeader(kid, typ)).sign(key)
}

export interface DecodedJws {
  kid: string
  /** The parsed payload, not yet checked against a schema. */
  payload: unknown
}

/** Decodes and checks form (size, alg, typ, canonical bytes); does not verify the signature. */
export function decodeCanonicalJws(jws: string, typ: string, maxBytes: number): DecodedJws {
  if (typeof jws !== 'string' || jws.length > maxBytes) throw new InvalidEntryError('malformed', 'not a string or too large')
  const parts = jws.split('.')
  if (parts.length !== 3) throw new InvalidEntryError('malformed', 'compact JWS has three parts')
  const [headerB64, payloadB64] = parts as [string, string, string]
  const header = decodeJsonPart(headerB64, 'header')
  if (typeof header !== 'object' || header === null) throw new InvalidEntryError('malformed', 'header is not an object')
  const { alg, kid } = header as Record<string, unknown>
  if (alg !== JWS_ALG) throw new InvalidEntryError('bad-algorithm', `alg must be ${JWS_ALG}`)
  if (typeof kid !== 'string') throw new InvalidEntryError('malformed', 'kid missing')
  if (headerB64 !== base64url.encode(canonicalize(protectedHeader(kid, typ)))) {
    throw new InvalidEntryError('non-canonical', `protected header is not the canonical ${typ} header`)
  }
  const payload = decodeJsonPart(payloadB64, 'payload')
  if (payloadB64 !== base64url.encode(canonicalize(payload))) {
    throw new InvalidEntryError('non-canonical', 'payload is not RFC 8785 canonical JSON')
  }
  return { kid, payload }
}

/**
 * The kid of a compact JWS header, unverified: which key claims to have
 * signed it. Read before any expensive check; at most 1 KiB of header is
 * looked at (a canonical header is far smaller).
 */
export function jwsKeyId(jws: string): string | undefined {
  const dot = jws.indexOf('.')
  if (dot < 0 || dot > 1024) return undefined
  try {
    const header = JSON.parse(Buffer.from(jws.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown }
    return typeof header.kid === 'string' ? header.kid : undefined
  } catch {
    return undefined
  }
}

/**
 * The payload of a compact JWS, decoded without any check: for entries this
 * node verified when they arrived, or to peek at a claim before verifying.
 * Undefined when it is not base64url JSON.
 */
export function jwsPayloadOf(jws: string): unknown {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

export async function verifyJwsSignature(jws: string, key: JoseKey): Promise<void> {
  try {
    await compactVerify(jws, key, { algorithms: [JWS_ALG] })
  } catch {
    throw new InvalidEntryError('bad-signature', 'signature does not verify')
  }
}

/** The signed bytes (header.payload) and the signature of a compact JWS, as JWS defines them. */
export function signatureInputOf(jws: string): { input: string; signature: string } {
  const dot = jws.lastIndexOf('.')
  return { input: jws.slice(0, dot), signature: jws.slice(dot + 1) }
}

export async function importPublicJwk(jwk: Ed25519PublicJwk): Promise<JoseKey> {
  return await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, JWS_ALG)
}

function decodeJsonPart(b64: string, what: string): unknown {
  try {
    const bytes = base64url.decode(b64)
    if (jsonDepthExceeds(bytes, MAX_JSON_DEPTH)) throw new Error('nested too deeply')
    return JSON.parse(textDecoder.decode(bytes))
  } catch {
    throw new InvalidEntryError('malformed', `${what} is not base64url JSON`)
  }
}
