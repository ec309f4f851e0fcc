// Worker thread of SignaturePool: verifies Ed25519 signatures of compact JWS
// (input = "header.payload", signature base64url) with node:crypto. Plain JS
// so it loads without the TypeScript loader of the main thread.
import { createPublicKey, verify } from 'node:crypto'
import { parentPort } from 'node:worker_threads'

const keys = new Map()
const keyOf = x => {
  let key = keys.get(x)
  if (key === undefined) {
    if (keys.size >= 10000) keys.clear()
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
    keys.set(x, key)
  }
  return key
}

parentPort.on('message', ({ id, items }) => {
  const ok = items.map(([x, input, signature]) => {
    try {
      return verify(null, Buffer.from(input), keyOf(x), Buffer.from(signature, 'base64url'))
    } catch {
      return false
    }
  })
  parentPort.postMessage({ id, ok })
})
