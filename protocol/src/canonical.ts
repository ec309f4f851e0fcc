import { createHash } from 'node:crypto'
import canonicalizeModule from 'canonicalize'

// RFC 8785 (JCS): one byte form per JSON value, so signatures and content
// hashes do not depend on key order or number formatting.

// The package is CommonJS whose types declare an ES default export; at run
// time the default import is the function itself.
const canonicalizeJson = canonicalizeModule as unknown as (value: unknown) => string | undefined
const encoder = new TextEncoder()

export function canonicalize(value: unknown): string {
  const out = canonicalizeJson(value)
  if (out === undefined) throw new TypeError('value cannot be canonicalized (undefined at top level)')
  return out
}

export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalize(value))
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}
