import { Hono, type MiddlewareHandler } from 'hono'
import { z } from 'zod'
import { DATA_THEMES, MAX_USE_CASE_IMAGE_BYTES, peerIdSchema, USE_CASE_STATUSES } from '@swf/protocol'
import type { BlobStore } from '../../blob-store.js'
import { ValidationError } from '../../errors.js'
import type { CatalogService } from '../../services/catalog-service.js'
import { MAX_USE_CASE_PAGE, type UseCaseService } from '../../services/use-case-service.js'
import { ApiError } from '../errors.js'
import { fileResponse } from '../file-response.js'
import { readJson, readQuery, jsonBodyLimit } from '../request.js'

export interface UseCaseRouteDeps {
  useCases: UseCaseService
  catalog: CatalogService
  blobs: BlobStore
  admin: MiddlewareHandler
  /** The participant with this AGS (for `?kommune=` given as an AGS). */
  peerOfAgs: (ags: string) => string | undefined
  /** In a region: fetches a neighbour's image, verified against the signed sha256. */
  access?: { verifiedLocal: (publisher: string, sha256: string, byteSize: number) => Promise<string> }
}

const MAX_JSON_BYTES = 256 * 1024

export const useCaseListQuerySchema = z.object({
  q: z.string().max(500).optional(),
  status: z.enum(USE_CASE_STATUSES).optional(),
  theme: z.enum(DATA_THEMES).optional(),
  publisher: peerIdSchema.optional(),
  takeOvers: z.enum(['true', 'false']).optional(),
  /** `publisher/datasetId`: the use cases that use this dataset. */
  dataset: z
    .string()
    .regex(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}\/[a-z0-9][a-z0-9_-]*$/, { message: 'publisher peer id/dataset id' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_USE_CASE_PAGE).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0)
})

export const imageQuerySchema = z.object({ title: z.string().min(1).max(200) })

/**
 * /api/v1/use-cases: use cases (Anwendungsfälle) of the whole region, read
 * from any node; the node's own published, updated, deleted and illustrated
 * with the admin token; take-overs are use cases with `takesOver`.
 */
export function useCaseRoutes({ useCases, catalog, blobs, admin, peerOfAgs, access }: UseCaseRouteDeps): Hono {
  const jsonLimit = jsonBodyLimit(MAX_JSON_BYTES)
  const app = new Hono()

  app.get('/', c => {
    const q = readQuery(c, useCaseListQuerySchema)
    if (q.dataset !== undefined) {
      const [publisher, datasetId] = q.dataset.split('/') as [string, string]
      const items = useCases.usingDataset(publisher, datasetId)
      return c.json({ items, total: items.length })
    }
    const words = q.q?.match(/[\p{L}\p{N}]+/gu) ?? []
    return c.json(
      useCases.list(
        {
          words,
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.theme === undefined ? {} : { theme: q.theme }),
          ...(q.publisher === undefined ? {} : { publisher: q.publisher }),
          ...(q.takeOvers === undefined ? {} : { takeOvers: q.takeOvers === 'true' })
        },
        q.limit,
        q.offset
      )
    )
  })

  app.post('/', admin, jsonLimit, async c => {
    const result = await useCases.create(await readJson(c))
    c.header('Location', `/api/v1/use-cases/${catalog.publisher}/${result.useCase?.id}`)
    return c.json(result, 201)
  })

  app.put('/:id', admin, jsonLimit, async c => c.json(await useCases.update(c.req.param('id'), await readJson(c))))

  app.delete('/:id', admin, async c => c.json(await catalog.removeUseCase(c.req.param('id'))))

  app.put('/:id/images', admin, async c => {
    const declared = c.req.header('content-length')
    if (declared !== undefined && Number(declared) > MAX_USE_CASE_IMAGE_BYTES) {
      throw new ApiError(413, 'payload_too_large', `an image is at most ${MAX_USE_CASE_IMAGE_BYTES} bytes`)
    }
    const q = readQuery(c, imageQuerySchema)
    const result = await catalog.addUseCaseImage(c.req.param('id'), c.req.raw.body ?? emptyBody(), {
      mediaType: c.req.header('content-type') ?? '',
      title: q.title
    })
    return c.json(result, 201)
  })

  app.get('/:publisher/:id', c => c.json(useCases.get(publisherParam(c.req.param('publisher')), c.req.param('id'))))

  /** Which of a Kommune's datasets would fill each role (`kommune` = peer id or AGS). */
  app.get('/:publisher/:id/fit', c => {
    const kommune = c.req.query('kommune') ?? ''
    const peer = peerIdSchema.safeParse(kommune).success ? kommune : peerOfAgs(kommune)
    if (peer === undefined) throw new ValidationError('kommune', "kommune is a participant's peer id or AGS")
    return c.json({ kommune: peer, roles: useCases.fit(publisherParam(c.req.param('publisher')), c.req.param('id'), peer) })
  })

  app.get('/:publisher/:id/images/:n', async c => {
    const view = useCases.get(publisherParam(c.req.param('publisher')), c.req.param('id'))
    const image = view.useCase.images[Number(c.req.param('n')) - 1]
    if (image === undefined || !/^\d+$/.test(c.req.param('n')))
      throw new ApiError(404, 'not_found', `use case "${view.useCase.id}" has no image ${c.req.param('n')}`)
    if (access !== undefined) await access.verifiedLocal(view.publisher, image.sha256, image.byteSize)
    const ext = image.mediaType.split('/')[1]
    return fileResponse(
      c,
      blobs,
      {
        sha256: image.sha256,
        byteSize: image.byteSize,
        mediaType: image.mediaType,
        fileName: `${view.useCase.id}-${c.req.param('n')}.${ext}`
      },
      true
    )
  })

  return app
}

function publisherParam(raw: string): string {
  const r = peerIdSchema.safeParse(raw)
  if (!r.success) throw new ValidationError('publisher', 'publisher must be a peer id')
  return r.data
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
