import { ApiError } from './errors.js'

// multipart/form-data (RFC 7578) read as a stream: a part's bytes are handed on
// as they arrive, so a file goes to the blob store chunk by chunk and never
// whole into memory (Request.formData() would hold all of it).

/** Bytes of a part's header lines, and of anything before the first boundary. */
const MAX_PART_HEADER_BYTES = 16 * 1024

export interface FormPart {
  /** The form field (`name` of its Content-Disposition). */
  name: string
  fileName?: string
  contentType?: string
  /** The part's bytes; read it to its end before asking for the next part. */
  body: AsyncIterable<Uint8Array>
}

/** The boundary of a multipart/form-data Content-Type, or undefined for any other body. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /^\s*multipart\/form-data\s*;(.*)$/i.exec(contentType ?? '')
  if (m === null) return undefined
  const b = /(?:^|;)\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(m[1]!)
  return b?.[1] ?? b?.[2]
}

const invalid = (message: string): ApiError => new ApiError(400, 'invalid_multipart', `multipart body: ${message}`, 'body')

/**
 * The parts of a multipart/form-data body, one after the other. A body that
 * ends inside a part, or whose framing is broken, throws while that part is
 * read — so a truncated upload fails before whatever consumes it is done.
 */
export async function* formParts(body: AsyncIterable<Uint8Array>, boundary: string): AsyncGenerator<FormPart> {
  const reader = new ByteReader(body[Symbol.asyncIterator]())
  await reader.readUntil(Buffer.from(`--${boundary}`), MAX_PART_HEADER_BYTES)
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  for (;;) {
    // After a boundary: "--" closes the body, a line break opens the next part.
    const after = (await reader.take(2)).toString('latin1')
    if (after === '--') return
    if (after !== '\r\n') throw invalid('a boundary is followed by neither a line break nor "--"')
    const part = headersOf((await reader.readUntil(Buffer.from('\r\n\r\n'), MAX_PART_HEADER_BYTES)).toString('utf8'))
    const state = { ended: false }
    const bytes = reader.until(delimiter, () => {
      state.ended = true
    })
    yield { ...part, body: bytes }
    // What the consumer left unread of this part is skipped.
    if (!state.ended) for await (const _ of bytes);
  }
}

function headersOf(text: string): Omit<FormPart, 'body'> {
  const headers = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const disposition = headers.get('content-disposition') ?? ''
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw invalid('a part without "Content-Disposition: form-data"')
  const param = (key: string): string | undefined => {
    const m = new RegExp(`;\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s;]+))`, 'i').exec(disposition)
    return m === null ? undefined : (m[1]?.replace(/\\(.)/g, '$1') ?? m[2])
  }
  const name = param('name')
  if (name === undefined) throw invalid('a part without a name')
  const fileName = param('filename')
  const contentType = headers.get('content-type')
  return { name, ...(fileName === undefined ? {} : { fileName }), ...(contentType === undefined ? {} : { contentType }) }
}

/** Reads an async byte source by delimiters, keeping no more than a delimiter's length of a part in memory. */
class ByteReader {
  #buf: Buffer = Buffer.alloc(0)
  #ended = false

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  async #more(): Promise<boolean> {
    if (this.#ended) return false
    const r = await this.source.next()
    if (r.done === true) {
      this.#ended = true
      return false
    }
    const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    return true
  }

  async take(n: number): Promise<Buffer> {
    while (this.#buf.length < n) if (!(await this.#more())) throw invalid('the body ends early')
    const out = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    return out
  }

  /** The bytes before `needle` (consumed with it), at most `max` of them. */
  async readUntil(needle: Buffer, max: number): Promise<Buffer> {
    for (;;) {
      const i = this.#buf.indexOf(needle)
      if (i >= 0) {
        const out = this.#buf.subarray(0, i)
        this.#buf = this.#buf.subarray(i + needle.length)
        return out
      }
      if (this.#buf.length > max + needle.length) throw invalid(`no boundary or header end within ${max} bytes`)
      if (!(await this.#more())) throw invalid('the body ends early')
    }
  }

  /** The bytes before `needle`, as they arrive; `needle` is consumed and `onEnd` called when found. */
  async *until(needle: Buffer, onEnd: () => void): AsyncGenerator<Uint8Array> {
    for (;;) {
      const i = this.#buf.indexOf(needle)
      if (i >= 0) {
        const out = this.#buf.subarray(0, i)
        this.#buf = this.#buf.subarray(i + needle.length)
        onEnd()
        if (out.length > 0) yield out
        return
      }
      // All but a needle's length less one byte cannot be the start of the needle: hand it on.
      const keep = needle.length - 1
      if (this.#buf.length > keep) {
        const out = this.#buf.subarray(0, this.#buf.length - keep)
        this.#buf = this.#buf.subarray(this.#buf.length - keep)
        yield out
      }
      if (!(await this.#more())) throw invalid('the body ends inside a part (upload cut off?)')
    }
  }
}
