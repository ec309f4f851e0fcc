import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { ValidationError } from '../errors.js'
import { ApiError, errorResponse } from './errors.js'

/** The JSON body, or a 400 naming what is wrong with it. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') throw new ApiError(400, 'invalid_json', 'request body must be a JSON object')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`)
  }
}

/** Parses query parameters with a schema; the first problem names its parameter. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const r = schema.safeParse(c.req.query())
  if (!r.success) throw ValidationError.fromZod(r.error)
  return r.data
}

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional()
})

/** Refuses a JSON body over `maxBytes` with a 413 before reading it. */
export const jsonBodyLimit = (maxBytes: number): MiddlewareHandler =>
  bodyLimit({
    maxSize: maxBytes,
    onError: c => errorResponse(c, 413, 'payload_too_large', `JSON body over ${maxBytes} bytes`)
  })
