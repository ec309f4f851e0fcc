import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import type { Logger } from 'pino'
import { toApiError } from './errors.js'

// Long answers (imports, federated queries) can be followed as they grow:
// with `Accept: application/x-ndjson` the client gets one JSON object per
// line as soon as it is known, instead of one document at the end.

export const NDJSON = 'application/x-ndjson'

export function wantsNdjson(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes(NDJSON)
}

/**
 * Streams the lines `produce` writes. The status (200) is sent with the
 * first byte, so a later failure becomes a last line
 * `{"type":"error","error":{code,message}}` instead of an error status.
 */
export function ndjsonResponse(c: Context, log: Logger, produce: (line: (value: unknown) => void) => Promise<void>): Response {
  c.header('Content-Type', NDJSON)
  return stream(c, async out => {
    // Writes are queued in order by the stream; nothing here waits for the client.
    const line = (value: unknown): void => {
      void out.writeln(JSON.stringify(value))
    }
    try {
      await produce(line)
    } catch (err) {
      const { code, message, field } = toApiError(err as Error, log, { method: c.req.method, path: c.req.path })
      line({ type: 'error', error: { code, message, ...(field === undefined ? {} : { field }) } })
    }
  })
}
