// Worker thread of SignaturePool: verifies batches of Ed25519 signatures.
import { parentPort } from 'node:worker_threads'
import { createVerifier } from './ed25519-verify.js'

const check = createVerifier()
parentPort.on('message', ({ id, items }) => {
  parentPort.postMessage({ id, ok: items.map(check) })
})
