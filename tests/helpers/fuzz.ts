// Hostile frames for decoder and stream fuzzing, from a seeded generator so
// a failure can be reproduced (the seed is printed with it).

export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const enc = new TextEncoder()

export type FuzzKind =
  'random-bytes' | 'truncated' | 'bit-flip' | 'wrong-shape' | 'deep-nesting' | 'invalid-utf8' | 'oversized' | 'huge-array' | 'mutated-field'

export interface FuzzCase {
  kind: FuzzKind
  bytes: Uint8Array
}

/** A JSON value of random shape (objects, arrays, strings, numbers, null, booleans). */
function randomJson(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 7))
  switch (k) {
    case 0:
      return null
    case 1:
      return r() < 0.5
    case 2:
      return [0, -1, 1e308, -0.5, Number.MAX_SAFE_INTEGER + 2, 42][Math.floor(r() * 6)]
    case 3:
      return ['', 'sync-request', 'x'.repeat(Math.floor(r() * 300)), '\u0000', 'Straße', '"}'][Math.floor(r() * 6)]
    case 4:
      return { type: ['sync-request', 'sync-page', 'search-request', 'fetch', 'data-query', 'nonsense'][Math.floor(r() * 6)] }
    case 5:
      return Array.from({ length: Math.floor(r() * 5) }, () => randomJson(r, depth + 1))
    default: {
      const o: Record<string, unknown> = {}
      for (const key of ['type', 'have', 'entries', 'done', 'query', 'hits', 'limit', 'hash', 'range', '__proto__', 'constructor']) {
        if (r() < 0.35) o[key] = randomJson(r, depth + 1)
      }
      return o
    }
  }
}

/**
 * `count` hostile variants of the given valid frames: random bytes, truncated
 * and bit-flipped valid frames, JSON of the wrong shape, deep nesting,
 * invalid UTF-8, frames over `maxBytes`, 10 MB arrays, valid frames with one
 * field replaced by a random value.
 */
export function* fuzzFrames(valid: unknown[], count: number, seed: number, maxBytes: number, raw = false): Generator<FuzzCase> {
  const r = rng(seed)
  const encodeBase = (v: unknown): Uint8Array => enc.encode(raw ? String(v) : JSON.stringify(v))
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!
  const kinds: FuzzKind[] = [
    'random-bytes',
    'truncated',
    'bit-flip',
    'wrong-shape',
    'deep-nesting',
    'invalid-utf8',
    'oversized',
    'huge-array',
    'mutated-field'
  ]
  for (let i = 0; i < count; i++) {
    const kind = kinds[i % kinds.length]!
    const base = encodeBase(pick(valid))
    let bytes: Uint8Array
    switch (kind) {
      case 'random-bytes':
        bytes = Uint8Array.from({ length: Math.floor(r() * 2048) }, () => Math.floor(r() * 256))
        break
      case 'truncated':
        bytes = base.subarray(0, Math.floor(r() * base.byteLength))
        break
      case 'bit-flip': {
        bytes = Uint8Array.from(base)
        for (let f = 0; f < 1 + Math.floor(r() * 4); f++) bytes[Math.floor(r() * bytes.length)]! ^= 1 << Math.floor(r() * 8)
        break
      }
      case 'wrong-shape':
        bytes = enc.encode(JSON.stringify(randomJson(r)))
        break
      case 'deep-nesting':
        bytes = nested(pick([1_000, 10_000, 100_000, 500_000]), r() < 0.5)
        break
      case 'invalid-utf8': {
        bytes = Uint8Array.from(base)
        const bad = pick([[0xff], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0xbc], [0xed, 0xa0, 0x80]])
        bytes.set(bad, Math.floor(r() * Math.max(1, bytes.length - bad.length)))
        break
      }
      case 'oversized':
        bytes = spaces(maxBytes + 1 + 1024).subarray(0, maxBytes + 1 + Math.floor(r() * 1024))
        break
      case 'huge-array':
        // 10 MB of JSON array: over every frame limit.
        bytes = hugeArray(pick(['0,', '"x",', '{},', '[],']))
        break
      case 'mutated-field': {
        if (raw) {
          // Text in place of a field: splice random JSON into the middle.
          const text = String(pick(valid))
          const at = Math.floor(r() * text.length)
          bytes = enc.encode(text.slice(0, at) + JSON.stringify(randomJson(r)) + text.slice(at + 1 + Math.floor(r() * 20)))
          break
        }
        const obj = structuredClone(pick(valid)) as Record<string, unknown>
        const keys = Object.keys(obj)
        if (keys.length > 0) obj[pick(keys)] = randomJson(r)
        bytes = enc.encode(JSON.stringify(obj))
        break
      }
    }
    yield { kind, bytes }
  }
}

// The big frames are built once: building 10 MB per case made the fuzzing slow, not harder.
const huge = new Map<string, Uint8Array>()
function hugeArray(item: string): Uint8Array {
  let b = huge.get(item)
  if (b === undefined) huge.set(item, (b = enc.encode('[' + item.repeat(Math.ceil(10_000_000 / item.length)) + '0]')))
  return b
}

const deep = new Map<string, Uint8Array>()
function nested(depth: number, arrays: boolean): Uint8Array {
  const key = `${depth}:${arrays}`
  let b = deep.get(key)
  if (b === undefined)
    deep.set(key, (b = enc.encode(arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth))))
  return b
}

let blank = new Uint8Array(0)
function spaces(n: number): Uint8Array {
  if (blank.byteLength < n) blank = new Uint8Array(n).fill(0x20)
  return blank
}
