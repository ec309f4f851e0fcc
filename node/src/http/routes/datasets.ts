import { Hono, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { BlobStore } from '../../blob-store.js'
import type { CatalogService } from '../../services/catalog-service.js'
import { ApiError } from '../errors.js'
import { checkFileName, fileResponse } from '../file-response.js'
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

/** /api/v1/datasets: the node's own datasets, their files and signed entries. */
export function datasetRoutes({ catalog, blobs, admin, maxUploadBytes, access, info }: DatasetRouteDeps): Hono {
  const jsonLimit = jsonBodyLimit(MAX_JSON_BYTES)
  const app = new Hono()

  app.get('/', c => {
    const q = readQuery(c, pageQuerySchema)
    return c.json(catalog.listOwn(q.limit, q.cursor))
  })

  app.post('/', admin, jsonLimit, async c => {
    const result = await catalog.create(await readJson(c))
    c.header('Location', `/api/v1/datasets/${result.dataset?.id}`)
    return c.json(result, 201)
  })

  app.get('/:id', c => c.json(catalog.getOwn(c.req.param('id'))))

  app.put('/:id', admin, jsonLimit, async c => c.json(await catalog.update(c.req.param('id'), await readJson(c))))

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
      maxBytes: maxUploadBytes
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
