import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { BlobStore } from '../../blob-store.js'
import type { CatalogService, FileUpload } from '../../services/catalog-service.js'
import { ApiError } from '../errors.js'
import { checkFileName, fileResponse } from '../file-response.js'
import { formParts, multipartBoundary, type FormPart } from '../multipart.js'
import { pageQuerySchema, readJson, readQuery, jsonBodyLimit } from '../request.js'

export interface DatasetRouteDeps {
  catalog: CatalogService
  blobs: BlobStore
  admin: MiddlewareHandler
  maxUploadBytes: number
  /** In a region: fetches an own file again from a node that holds a copy (after corruption on disk). */
  access?: { verifiedLocal: (publisher: string, sha256: string, byteSize: number) => Promise<string> }
  info: { peerId: string }
}

const MAX_JSON_BYTES = 1024 * 1024

export const uploadQuerySchema = z.object({
  title: z.string().max(500).optional(),
  format: z.string().max(30).optional(),
  license: z.string().max(50).optional()
})

/** With a file (multipart): which distribution it becomes (default: from its file name) and what the upload route takes. */
export const publicationQuerySchema = uploadQuerySchema.extend({ distributionId: z.string().max(200).optional() })

/** /api/v1/datasets: the node's own datasets, their files and signed entries. */
export function datasetRoutes({ catalog, blobs, admin, maxUploadBytes, access, info }: DatasetRouteDeps): Hono {
  const jsonLimit = jsonBodyLimit(MAX_JSON_BYTES)
  // A dataset with its file (multipart) is bounded part by part, in readPublication.
  const jsonUnlessFile: MiddlewareHandler = async (c, next) =>
    multipartBoundary(c.req.header('content-type')) === undefined ? jsonLimit(c, next) : next()
  const app = new Hono()

  app.get('/', c => {
    const q = readQuery(c, pageQuerySchema)
    return c.json(catalog.listOwn(q.limit, q.cursor))
  })

  app.post('/', admin, jsonUnlessFile, async c => {
    const { metadata, file } = await readPublication(c, maxUploadBytes)
    const result = await catalog.create(metadata, file)
    c.header('Location', `/api/v1/datasets/${result.dataset?.id}`)
    return c.json(result, 201)
  })

  app.get('/:id', c => c.json(catalog.getOwn(c.req.param('id'))))

  app.put('/:id', admin, jsonUnlessFile, async c => {
    const { metadata, file } = await readPublication(c, maxUploadBytes)
    return c.json(await catalog.update(c.req.param('id'), metadata, file))
  })

  app.delete('/:id', admin, async c => c.json(await catalog.remove(c.req.param('id'))))

  app.get('/:id/entry', c => c.json(catalog.getOwnEntry(c.req.param('id'))))

  app.put('/:id/distributions/:distId', admin, async c => {
    const declared = c.req.header('content-length')
    if (declared !== undefined && Number(declared) > maxUploadBytes) {
      throw new ApiError(413, 'payload_too_large', `file over the upload limit of ${maxUploadBytes} bytes`)
    }
    const q = readQuery(c, uploadQuerySchema)
    const body = c.req.raw.body ?? emptyBody()
    const result = await catalog.putDistributionFile(c.req.param('id'), c.req.param('distId'), body, {
      ...q,
      mediaType: c.req.header('content-type'),
      maxBytes: maxUploadBytes,
      ...(declared === undefined ? {} : { size: Number(declared) })
    })
    return c.json(result, 201)
  })

  app.delete('/:id/distributions/:distId', admin, async c =>
    c.json(await catalog.removeDistribution(c.req.param('id'), c.req.param('distId')))
  )

  // `…/file` and `…/<file name>.<ext>` (what clients such as GDAL pick a driver by) serve the same bytes.
  app.get('/:id/distributions/:distId/:fileName', async c => {
    const file = catalog.resolveFile(c.req.param('id'), c.req.param('distId'))
    checkFileName(c.req.param('fileName'), file.fileName)
    // A corrupt own file is quarantined and, in a region, fetched back from a mirror.
    if (access !== undefined) await access.verifiedLocal(info.peerId, file.sha256, file.byteSize).catch(() => {})
    return fileResponse(c, blobs, file)
  })

  return app
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}

/**
 * The dataset of a create or update, and its file if one came: a JSON body,
 * or multipart/form-data with the part "metadata" (the same JSON) and then
 * the part "file" (its file name and Content-Type name the distribution
 * unless the query does). The file part is not read here: the catalog checks
 * everything else first, then streams it into the blob store.
 */
async function readPublication(c: Context, maxUploadBytes: number): Promise<{ metadata: unknown; file?: FileUpload }> {
  const boundary = multipartBoundary(c.req.header('content-type'))
  if (boundary === undefined) return { metadata: await readJson(c) }
  const declared = Number(c.req.header('content-length') ?? 'NaN')
  if (declared > maxUploadBytes + MAX_JSON_BYTES) {
    throw new ApiError(413, 'payload_too_large', `file over the upload limit of ${maxUploadBytes} bytes`)
  }
  const q = readQuery(c, publicationQuerySchema)
  const parts = formParts(c.req.raw.body ?? emptyBody(), boundary)
  const first = await parts.next()
  if (first.done === true || first.value.name !== 'metadata') {
    throw new ApiError(400, 'invalid_multipart', 'the first part must be "metadata" (the dataset as JSON), then "file"', 'metadata')
  }
  const metadata = parseJson(await textOf(first.value.body, MAX_JSON_BYTES))
  const second = await parts.next()
  if (second.done === true) return { metadata }
  const part = second.value
  if (part.name !== 'file')
    throw new ApiError(400, 'invalid_multipart', `unknown part "${part.name}": send "metadata", then "file"`, part.name)
  const { distributionId, ...options } = q
  return {
    metadata,
    file: {
      ...options,
      body: lastPart(part, parts),
      ...(distributionId === undefined ? {} : { distributionId }),
      ...(part.fileName === undefined || part.fileName === '' ? {} : { fileName: part.fileName }),
      ...(part.contentType === undefined ? {} : { mediaType: part.contentType }),
      maxBytes: maxUploadBytes
    }
  }
}

/** The file part's bytes, then a check that the body ends with it — before the file is stored, so before anything is signed. */
async function* lastPart(part: FormPart, parts: AsyncGenerator<FormPart>): AsyncIterable<Uint8Array> {
  yield* part.body
  const next = await parts.next()
  if (next.done !== true) {
    throw new ApiError(400, 'invalid_multipart', `the file must be the last part (found "${next.value.name}" after it)`, next.value.name)
  }
}

async function textOf(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > maxBytes) throw new ApiError(413, 'payload_too_large', `the part "metadata" is over ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new ApiError(400, 'invalid_json', 'the part "metadata" must be a JSON object', 'metadata')
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `the part "metadata" is not valid JSON: ${(err as Error).message}`, 'metadata')
  }
}
