import { CompactSign, base64url, compactVerify, importJWK, type CryptoKey, type KeyObject } from 'jose'
import { canonicalBytes, canonicalize, sha256Hex } from './canonical.js'
import { entryPayloadSchema, MAX_ENTRY_BYTES, type EntryPayload, type SignedEntry } from './entry.js'
import { InvalidEntryError } from './errors.js'
import { peerIdOf, privateKeyToJwk, publicJwkOfPeerId, type Ed25519PrivateKey, type Ed25519PublicJwk } from './identity.js'

export const ENTRY_JWS_ALG = 'EdDSA'
export const ENTRY_JWS_TYP = 'swf-entry+jws'

type JoseKey = CryptoKey | KeyObject

/** The protected header is fixed apart from kid, and written canonically. */
function protectedHeader (kid: string): { alg: string, kid: string, typ: string } {
  return { alg: ENTRY_JWS_ALG, kid, typ: ENTRY_JWS_TYP }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true })

/** Signs catalog entries with a node's identity key. */
export class EntrySigner {
  readonly peerId: string
  readonly #key: JoseKey

  private constructor (peerId: string, key: JoseKey) {
    this.peerId = peerId
    this.#key = key
  }

  static async create (identity: Ed25519PrivateKey): Promise<EntrySigner> {
    const key = await importJWK(privateKeyToJwk(identity), ENTRY_JWS_ALG)
    return new EntrySigner(peerIdOf(identity), key as JoseKey)
  }

  async sign (payload: EntryPayload): Promise<SignedEntry> {
    const parsed = entryPayloadSchema.parse(payload)
    if (parsed.publisher !== this.peerId) {
      throw new InvalidEntryError('publisher-mismatch', 'payload publisher is not this signer')
    }
    const jws = await new CompactSign(canonicalBytes(parsed))
      .setProtectedHeader(protectedHeader(this.peerId))
      .sign(this.#key)
    return { jws, hash: sha256Hex(jws), payload: parsed }
  }
}

export interface VerifyOptions {
  /**
   * The publisher's registered key. When given it must be the key embedded in
   * the publisher's peer id; when absent the peer id's own key is used.
   */
  registeredKey?: Ed25519PublicJwk
}

/**
 * Verifies a compact JWS catalog entry and returns it decoded. Throws
 * InvalidEntryError naming the reason. Checks, cheapest first: size and
 * shape, algorithm, canonical form, payload schema, kid = publisher = key,
 * then the signature.
 */
export class EntryVerifier {
  // Importing a JWK costs about as much as a verification; peers are few.
  readonly #keys = new Map<string, JoseKey>()
  readonly #maxCachedKeys: number

  constructor (maxCachedKeys = 10_000) {
    this.#maxCachedKeys = maxCachedKeys
  }

  async verify (jws: string, options: VerifyOptions = {}): Promise<SignedEntry> {
    if (typeof jws !== 'string' || jws.length > MAX_ENTRY_BYTES) throw new InvalidEntryError('malformed', 'not a string or too large')
    const parts = jws.split('.')
    if (parts.length !== 3) throw new InvalidEntryError('malformed', 'compact JWS has three parts')
    const [headerB64, payloadB64] = parts as [string, string, string]

    const header = decodeJsonPart(headerB64, 'header')
    if (typeof header !== 'object' || header === null) throw new InvalidEntryError('malformed', 'header is not an object')
    const { alg, kid } = header as Record<string, unknown>
    if (alg !== ENTRY_JWS_ALG) throw new InvalidEntryError('bad-algorithm', `alg must be ${ENTRY_JWS_ALG}`)
    if (typeof kid !== 'string') throw new InvalidEntryError('malformed', 'kid missing')
    if (headerB64 !== base64url.encode(canonicalize(protectedHeader(kid)))) {
      throw new InvalidEntryError('non-canonical', 'protected header is not the canonical entry header')
    }

    const rawPayload = decodeJsonPart(payloadB64, 'payload')
    if (payloadB64 !== base64url.encode(canonicalize(rawPayload))) {
      throw new InvalidEntryError('non-canonical', 'payload is not RFC 8785 canonical JSON')
    }
    const parsed = entryPayloadSchema.safeParse(rawPayload)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new InvalidEntryError('malformed', `payload ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
    }
    const payload = parsed.data
    if (kid !== payload.publisher) throw new InvalidEntryError('publisher-mismatch', 'kid is not the publisher')

    let publisherJwk: Ed25519PublicJwk
    try {
      publisherJwk = publicJwkOfPeerId(payload.publisher)
    } catch {
      throw new InvalidEntryError('publisher-mismatch', 'publisher is not an Ed25519 peer id')
    }
    if (options.registeredKey !== undefined && options.registeredKey.x !== publisherJwk.x) {
      throw new InvalidEntryError('publisher-mismatch', 'key is not the registered key of the publisher')
    }

    const key = await this.#keyFor(payload.publisher, publisherJwk)
    try {
      await compactVerify(jws, key, { algorithms: [ENTRY_JWS_ALG] })
    } catch {
      throw new InvalidEntryError('bad-signature', 'signature does not verify')
    }
    return { jws, hash: sha256Hex(jws), payload }
  }

  async #keyFor (peerId: string, jwk: Ed25519PublicJwk): Promise<JoseKey> {
    const cached = this.#keys.get(peerId)
    if (cached !== undefined) return cached
    const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, ENTRY_JWS_ALG) as JoseKey
    if (this.#keys.size >= this.#maxCachedKeys) this.#keys.clear()
    this.#keys.set(peerId, key)
    return key
  }
}

function decodeJsonPart (b64: string, what: string): unknown {
  try {
    return JSON.parse(textDecoder.decode(base64url.decode(b64)))
  } catch {
    throw new InvalidEntryError('malformed', `${what} is not base64url JSON`)
  }
}
