import { createHash, timingSafeEqual } from 'node:crypto'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from 'pino'
import type { Ed25519PublicJwk } from '../../protocol/src/index.js'
import { RegistryError } from './errors.js'
import type { RegistryService } from './registry-service.js'

const fail = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 500, code: string, message: string, field?: string): Response =>
  c.json({ error: { code, message, ...(field === undefined ? {} : { field }) } }, status)

function adminOnly (token: string): MiddlewareHandler {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest()
  const expected = digest(token)
  return async (c, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')
    if (m === null) return fail(c, 401, 'unauthorized', 'admin token required: Authorization: Bearer <token>')
    if (!timingSafeEqual(digest(m[1]!), expected)) return fail(c, 403, 'forbidden', 'admin token is not valid')
    await next()
  }
}

export interface RegistryAppDeps {
  service: RegistryService
  adminToken: string
  publicKeyJwk: Ed25519PublicJwk
  /** Hand-over documents of past key rotations, oldest first. */
  handovers: string[]
  log: Logger
}

async function jsonBody (c: Context): Promise<unknown> {
  try {
    return await c.req.json()
  } catch {
    throw new RegistryError(400, 'invalid_json', 'body must be JSON')
  }
}

/** The registry's HTTP API: thin routes over RegistryService. */
export function createRegistryApp ({ service, adminToken, publicKeyJwk, handovers, log }: RegistryAppDeps): Hono {
  const admin = adminOnly(adminToken)
  const app = new Hono()

  app.get('/health', c => c.json({ status: 'ok' }))
  app.get('/registry', c => c.json({ peerId: service.peerId, publicKeyJwk }))
  // Signed by each previous key in turn: how nodes that pinned an old key reach the current one.
  app.get('/registry/handovers', c => c.json({ handovers }))

  app.get('/participants', async c => {
    const { jws, serial } = await service.list()
    return c.body(jws, 200, { 'Content-Type': 'application/jose', 'X-Participant-List-Serial': String(serial) })
  })

  app.post('/participants', bodyLimit({ maxSize: 64 * 1024, onError: c => fail(c, 413, 'payload_too_large', 'registration over 64 KiB') }), async c => {
    let body: unknown
    try {
      body = await c.req.json()
    } catch {
      return fail(c, 400, 'invalid_json', 'body must be JSON: {"registration": "<compact JWS>"}')
    }
    const { participant, created } = await service.register((body as { registration?: unknown } | null)?.registration)
    return c.json(participant, created ? 201 : 200)
  })

  // Key lifecycle: signed by the participant's own keys, no admin token (see RegistryService.rotate).
  app.post('/participants/rotate', bodyLimit({ maxSize: 64 * 1024, onError: c => fail(c, 413, 'payload_too_large', 'rotation over 64 KiB') }), async c => {
    const body = await jsonBody(c) as { registration?: unknown, rotation?: unknown } | null
    return c.json(await service.rotate(body?.registration, body?.rotation))
  })
  app.post('/participants/retire', bodyLimit({ maxSize: 64 * 1024, onError: c => fail(c, 413, 'payload_too_large', 'retirement over 64 KiB') }), async c => {
    const body = await jsonBody(c) as { retirement?: unknown } | null
    return c.json(await service.retire(body?.retirement))
  })

  app.get('/participants/all', admin, c => c.json(service.all()))
  app.get('/participants/:id', c => c.json(service.get(c.req.param('id'))))
  app.post('/participants/:id/approve', admin, async c => c.json(await service.approve(c.req.param('id'))))
  app.post('/participants/:id/revoke', admin, async c => c.json(await service.revoke(c.req.param('id'))))

  app.notFound(c => fail(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`))
  app.onError((err, c) => {
    if (err instanceof RegistryError) return fail(c, err.status, err.code, err.message, err.field)
    log.error({ err }, 'unhandled error in request')
    return fail(c, 500, 'internal_error', 'internal error; see the registry log')
  })
  return app
}
