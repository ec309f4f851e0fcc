import { Hono, type MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { MAX_IMPORT_BYTES, type ImportInput, type ImportService } from '../../services/import-service.js'
import { ApiError, errorResponse } from '../errors.js'
import { ndjsonResponse, wantsNdjson } from '../ndjson.js'
import { readQuery } from '../request.js'

export const importQuerySchema = z.object({
  prune: z.enum(['true', 'false']).default('false'),
  /** Names an uploaded file's source, so a later --prune knows what came from it. */
  source: z.string().min(1).max(500).optional()
})

/** POST /api/v1/import (admin): a DCAT-AP.de catalog as JSON {url}, or as RDF in the body. */
export function importRoutes({ importer, admin, log }: { importer: ImportService; admin: MiddlewareHandler; log: Logger }): Hono {
  return new Hono().post(
    '/import',
    admin,
    bodyLimit({
      maxSize: MAX_IMPORT_BYTES,
      onError: c => errorResponse(c, 413, 'payload_too_large', `import over ${MAX_IMPORT_BYTES} bytes`)
    }),
    async c => {
      const q = readQuery(c, importQuerySchema)
      const type = c.req.header('content-type') ?? ''
      const prune = q.prune === 'true'
      let input: ImportInput
      if (type.startsWith('application/json')) {
        const body = (await c.req.json().catch(() => {
          throw new ApiError(400, 'invalid_json', 'body must be {"url": "https://…"}')
        })) as { url?: unknown }
        if (typeof body.url !== 'string') throw new ApiError(400, 'validation_failed', 'url is required', 'url')
        input = { url: body.url }
      } else {
        const text = await c.req.text()
        if (text.trim() === '') throw new ApiError(400, 'validation_failed', 'send RDF (Turtle, RDF/XML or JSON-LD) or {"url": …}', 'body')
        input = { text, mediaType: type, name: q.source ?? 'upload' }
      }
      if (!wantsNdjson(c)) return c.json(await importer.import(input, { prune }))
      // Progress for long imports: one line per page, then the report (or the error).
      return ndjsonResponse(c, log, async line => {
        const report = await importer.import(input, {
          prune,
          onPage: (page, records) => {
            line({ type: 'page', page, records })
          }
        })
        line({ type: 'report', ...report })
      })
    }
  )
}
