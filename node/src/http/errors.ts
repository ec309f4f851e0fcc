import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from 'pino'
import { BlobHashMismatchError, UploadTooLargeError } from '../blob-store.js'
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors.js'
import { FileCorruptError, FileTooLargeError, FileUnavailableError } from '../region/data-access.js'
import { RdfParseError } from '../dcat/errors.js'
import { ImportSourceError } from '../services/import-service.js'

// Every error leaves the API as { error: { code, message, field? } } with a
// 4xx status for anything the client can fix; 500 only for our own faults,
// and then without internals.

export interface ErrorBody {
  /** `errors` lists every problem when there is more than one (validation). */
  error: { code: string; message: string; field?: string; errors?: FieldProblem[] }
}

export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly problems?: FieldProblem[]
  ) {
    super(message)
  }
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  field?: string,
  problems?: FieldProblem[]
): Response {
  const body: ErrorBody = {
    error: {
      code,
      message,
      ...(field === undefined ? {} : { field }),
      ...(problems !== undefined && problems.length > 1 ? { errors: problems } : {})
    }
  }
  // After a 413 the rest of the request body is still on the socket; close it
  // so the client does not reuse a connection the server will not read.
  if (status === 413) c.header('Connection', 'close')
  return c.json(body, status)
}

function classify(err: Error): ApiError | undefined {
  if (err instanceof ApiError) return err
  if (err instanceof ValidationError) return new ApiError(400, 'validation_failed', err.message, err.field, err.problems)
  if (err instanceof NotFoundError) return new ApiError(404, 'not_found', err.message)
  if (err instanceof ConflictError) return new ApiError(409, 'conflict', err.message, err.field)
  if (err instanceof UploadTooLargeError) return new ApiError(413, 'payload_too_large', err.message)
  if (err instanceof BlobHashMismatchError) return new ApiError(422, 'hash_mismatch', err.message)
  if (err instanceof RdfParseError) return new ApiError(400, 'invalid_rdf', err.message, 'body')
  if (err instanceof ImportSourceError) return new ApiError(422, 'import_source_unreadable', err.message, 'url')
  if (err instanceof FileCorruptError) return new ApiError(502, 'upstream_corrupt', err.message)
  if (err instanceof FileTooLargeError) return new ApiError(413, 'file_too_large', err.message, 'byteSize')
  if (err instanceof FileUnavailableError) return new ApiError(503, 'unavailable', err.message)
  if (err instanceof HTTPException && err.status < 500) {
    return new ApiError(err.status, err.status === 413 ? 'payload_too_large' : 'bad_request', err.message || 'bad request')
  }
  return undefined
}

/** A full disk or an exhausted quota, as the file system (ENOSPC, EDQUOT) and SQLite (SQLITE_FULL) report it. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])

/** The disk-full code of an error or of one of its causes, if it is one. */
export function diskFullCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return code
  }
  return undefined
}

/**
 * What the client is told of an error; our own faults are logged and told
 * without internals. A full disk is the operator's to fix, not a bug: 507
 * naming the data directory, and one error line in the log naming it too.
 */
export function toApiError(err: Error, log: Logger, where: Record<string, unknown>, dataDir?: string): ApiError {
  const full = diskFullCode(err)
  if (full !== undefined) {
    const dir = dataDir === undefined ? "the node's data directory" : `the data directory ${dataDir}`
    log.error({ code: full, dataDir, ...where }, `disk full: a write to ${dir} failed (${full}); free space there`)
    return new ApiError(
      507,
      'insufficient_storage',
      `no space left on the disk of ${dir} (${full}): this change was not stored; the operator must free space there, then retry`
    )
  }
  const api = classify(err)
  if (api !== undefined) return api
  log.error({ err, ...where }, 'unhandled error in request')
  return new ApiError(500, 'internal_error', 'internal error; see the node log')
}

export function onError(log: Logger, dataDir?: string) {
  return (err: Error, c: Context): Response => {
    const api = toApiError(err, log, { method: c.req.method, path: c.req.path }, dataDir)
    return errorResponse(c, api.status, api.code, api.message, api.field, api.problems)
  }
}

export function onNotFound(c: Context): Response {
  return errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`)
}
