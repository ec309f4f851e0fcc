// Typed errors, in the js-libp2p manner: a class per failure with a stable
// `name`, so callers branch on `instanceof` or `err.name`, never on text.

export type InvalidEntryReason =
  | 'malformed' // not a compact JWS, bad base64url, bad JSON, wrong shape, too large
  | 'non-canonical' // header or payload bytes are not the one canonical form
  | 'bad-algorithm' // alg other than EdDSA (none, HS256, …)
  | 'publisher-mismatch' // kid ≠ publisher, or the key is not the publisher's
  | 'bad-signature' // signature does not verify

export class InvalidEntryError extends Error {
  override readonly name = 'InvalidEntryError'
  readonly reason: InvalidEntryReason

  constructor(reason: InvalidEntryReason, message: string) {
    super(`${reason}: ${message}`)
    this.reason = reason
  }
}

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError'
}
