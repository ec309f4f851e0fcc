import { Hono } from 'hono'
import type { BlobStore } from '../../blob-store.js'
import type { CatalogService } from '../../services/catalog-service.js'
import { errorResponse } from '../errors.js'
import { fileResponse } from '../file-response.js'

/** /api/v1/files/:sha256 — any file this node holds, by content hash. */
export function fileRoutes({ catalog, blobs }: { catalog: CatalogService; blobs: BlobStore }): Hono {
  return new Hono().get('/:sha256', async c => {
    const sha256 = c.req.param('sha256')
    if (!/^[0-9a-f]{64}$/.test(sha256))
      return errorResponse(c, 400, 'validation_failed', 'sha256 must be 64 lower-case hex characters', 'sha256')
    return fileResponse(c, blobs, catalog.resolveBlob(sha256), true)
  })
}
