// Ed25519 verification of a compact JWS signature with node:crypto and cached
// public keys. Plain JavaScript: SignaturePool uses it on the calling thread,
// its worker threads load it without the TypeScript loader.
import { createPublicKey, verify } from 'node:crypto'

/** A function that checks [x (JWK public key), JWS signing input, base64url signature] → boolean. */
export function createVerifier(maxKeys = 10000) {
  const keys = new Map()
  return ([x, input, signature]) => {
    try {
      let key = keys.get(x)
      if (key === undefined) {
        if (keys.size >= maxKeys) keys.clear()
        key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
        keys.set(x, key)
      }
      return verify(null, Buffer.from(input), key, Buffer.from(signature, 'base64url'))
    } catch {
      return false
    }
  }
}
