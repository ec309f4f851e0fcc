import { Readable } from 'node:stream'
import type { Context } from 'hono'
import type { BlobStore } from '../blob-store.js'
import type { ResolvedFile } from '../services/catalog-service.js'
import { errorResponse } from './errors.js'
import { parseRange } from './range.js'
import { contentDisposition } from '../file-names.js'
import { NotFoundError } from '../errors.js'

/**
 * Serves a stored file with ETag (its SHA-256), conditional GET and byte
 * ranges — only after its bytes were found to match that hash (the store
 * hashes a file once per change on disk): a corrupt file is quarantined and
 * logged by the store, never served under the signed hash.
 */
export async function fileResponse(c: Context, store: BlobStore, file: ResolvedFile, immutable = false): Promise<Response> {
  const check = await store.verify(file.sha256)
  if (check === 'corrupt') {
    return errorResponse(
      c,
      503,
      'file_corrupt',
      `the stored copy of file ${file.sha256} is corrupt and was quarantined; it is fetched again from another node when one holds it`
    )
  }
  if (check === 'missing') return errorResponse(c, 404, 'not_found', `file ${file.sha256} is not stored on this node`)
  const size = await store.size(file.sha256)
  const etag = `"${file.sha256}"`
  const headers: Record<string, string> = {
    'Content-Type': file.mediaType,
    ETag: etag,
    'Accept-Ranges': 'bytes',
    'Content-Disposition': contentDisposition(file.fileName),
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
  }
  if (
    c.req
      .header('if-none-match')
      ?.split(',')
      .some(t => t.trim() === etag) === true
  ) {
    return c.body(null, 304, headers)
  }
  const ifRange = c.req.header('if-range')
  const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range'), size) : null
  if (range === 'unsatisfiable') {
    return c.json({ error: { code: 'range_not_satisfiable', message: `file has ${size} bytes`, field: 'Range' } }, 416, {
      'Content-Range': `bytes */${size}`
    })
  }
  const isHead = c.req.method === 'HEAD'
  if (range === null) {
    headers['Content-Length'] = String(size)
    return new Response(isHead ? null : toWeb(store.read(file.sha256)), { status: 200, headers })
  }
  headers['Content-Length'] = String(range.end - range.start + 1)
  headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`
  return new Response(isHead ? null : toWeb(store.read(file.sha256, range)), { status: 206, headers })
}

const toWeb = (r: Readable): ReadableStream<Uint8Array> => Readable.toWeb(r) as ReadableStream<Uint8Array>

/** A download path ends in `file` or in the distribution's file name (with its extension); anything else is a 404 naming it. */
export function checkFileName(asked: string, fileName: string): void {
  if (asked !== 'file' && asked !== fileName)
    throw new NotFoundError(`this distribution's file is "${fileName}" (or "file"), not "${asked}"`)
}
