import { importJWK } from 'jose'
import { sha256Hex } from './canonical.js'
import { decodeCanonicalJws, importPublicJwk, JWS_ALG, signCanonicalJws, verifyJwsSignature, type JoseKey } from './canonical-jws.js'
import { entryPayloadSchema, MAX_ENTRY_BYTES, type EntryPayload, type SignedEntry } from './entry.js'
import { InvalidEntryError } from './errors.js'
import { peerIdOf, privateKeyToJwk, publicJwkOfPeerId, type Ed25519PrivateKey, type Ed25519PublicJwk } from './identity.js'

export const ENTRY_JWS_ALG = JWS_ALG
export const ENTRY_JWS_TYP = 'swf-entry+jws'

/** Signs documents with a node's (or the registry's) identity key. */
export class EntrySigner {
  readonly peerId: string
  readonly #key: JoseKey

  private constructor(peerId: string, key: JoseKey) {
    this.peerId = peerId
    this.#key = key
  }

  static async create(identity: Ed25519PrivateKey): Promise<EntrySigner> {
    const key = await importJWK(privateKeyToJwk(identity), JWS_ALG)
    return new EntrySigner(peerIdOf(identity), key)
  }

  async sign(payload: EntryPayload): Promise<SignedEntry> {
    const parsed = entryPayloadSchema.parse(payload)
    if (parsed.publisher !== this.peerId) {
      throw new InvalidEntryError('publisher-mismatch', 'payload publisher is not this signer')
    }
    const jws = await signCanonicalJws(parsed, this.#key, this.peerId, ENTRY_JWS_TYP)
    return { jws, hash: sha256Hex(jws), payload: parsed }
  }

  /** Signs any other protocol document (registration, participant list) under its own typ. */
  async signDocument(payload: unknown, typ: string): Promise<string> {
    return signCanonicalJws(payload, this.#key, this.peerId, typ)
  }
}

export interface VerifyOptions {
  /**
   * The publisher's registered key. When given it must be the key embedded in
   * the publisher's peer id; when absent the peer id's own key is used.
   */
  registeredKey?: Ed25519PublicJwk
}

/** Caches imported public keys by peer id: importing costs about as much as verifying. */
export class KeyCache {
  readonly #keys = new Map<string, JoseKey>()
  constructor(readonly max = 10_000) {}

  async get(peerId: string, jwk: Ed25519PublicJwk): Promise<JoseKey> {
    const cached = this.#keys.get(peerId)
    if (cached !== undefined) return cached
    const key = await importPublicJwk(jwk)
    if (this.#keys.size >= this.max) this.#keys.clear()
    this.#keys.set(peerId, key)
    return key
  }
}

/**
 * Verifies a compact JWS catalog entry and returns it decoded. Throws
 * InvalidEntryError naming the reason. Checks, cheapest first: size and
 * shape, algorithm, canonical form, payload schema, kid = publisher = key,
 * then the signature.
 */
export class EntryVerifier {
  readonly #keys: KeyCache
  /** Peer id → its embedded public key: base58-decoding the same publisher for every entry of a sync page cost ~5 % of a cold sync. */
  readonly #jwks = new Map<string, Ed25519PublicJwk>()
  readonly #maxCachedKeys: number

  constructor(maxCachedKeys = 10_000) {
    this.#keys = new KeyCache(maxCachedKeys)
    this.#maxCachedKeys = maxCachedKeys
  }

  async verify(jws: string, options: VerifyOptions = {}): Promise<SignedEntry> {
    const { entry, publisherJwk } = this.checkForm(jws, options)
    await verifyJwsSignature(jws, await this.#keys.get(entry.payload.publisher, publisherJwk))
    return entry
  }

  /**
   * Every check except the signature itself, for callers that verify
   * signatures in bulk elsewhere (worker threads): the entry is only valid
   * once `signatureInputOf(jws)` verifies under `publisherJwk`.
   */
  checkForm(jws: string, options: VerifyOptions = {}): { entry: SignedEntry; publisherJwk: Ed25519PublicJwk } {
    const { kid, payload: raw } = decodeCanonicalJws(jws, ENTRY_JWS_TYP, MAX_ENTRY_BYTES)
    const parsed = entryPayloadSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new InvalidEntryError('malformed', `payload ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
    }
    const payload = parsed.data
    if (kid !== payload.publisher) throw new InvalidEntryError('publisher-mismatch', 'kid is not the publisher')

    let publisherJwk = this.#jwks.get(payload.publisher)
    if (publisherJwk === undefined) {
      try {
        publisherJwk = publicJwkOfPeerId(payload.publisher)
      } catch {
        throw new InvalidEntryError('publisher-mismatch', 'publisher is not an Ed25519 peer id')
      }
      if (this.#jwks.size >= this.#maxCachedKeys) this.#jwks.clear()
      this.#jwks.set(payload.publisher, publisherJwk)
    }
    if (options.registeredKey !== undefined && options.registeredKey.x !== publisherJwk.x) {
      throw new InvalidEntryError('publisher-mismatch', 'key is not the registered key of the publisher')
    }
    return { entry: { jws, hash: sha256Hex(jws), payload }, publisherJwk }
  }
}
