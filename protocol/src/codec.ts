import type { z } from 'zod'

// Request/response protocols of ours exchange length-prefixed frames, each
// one UTF-8 JSON object checked against a schema. One codec for all of them.

/** Largest length-prefixed frame either side accepts. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024

export class CodecError extends Error {
  override readonly name = 'CodecError'
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeFrame (msg: unknown, maxBytes = MAX_FRAME_BYTES): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(msg))
  if (bytes.byteLength > maxBytes) throw new CodecError(`frame of ${bytes.byteLength} bytes exceeds ${maxBytes}`)
  return bytes
}

export function decodeFrame<S extends z.ZodType> (schema: S, bytes: Uint8Array, maxBytes = MAX_FRAME_BYTES): z.infer<S> {
  if (bytes.byteLength > maxBytes) throw new CodecError('frame too large')
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new CodecError('frame is not UTF-8 JSON')
  }
  const r = schema.safeParse(raw)
  if (!r.success) throw new CodecError(`frame has the wrong shape at ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`)
  return r.data
}
