import { createHash, timingSafeEqual } from 'node:crypto'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from 'pino'
import { TokenBuckets, type Ed25519PublicJwk } from '@swf/protocol'
import { RegistryError } from './errors.js'
import type { RegistryService } from './registry-service.js'

const fail = (c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500, code: string, message: string, field?: string): Response =>
  c.json({ error: { code, message, ...(field === undefined ? {} : { field }) } }, status)

/** The TCP peer address (never a proxy header: the client could forge it). */
const clientAddress = (c: Context): string =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown'

export interface RegistryHttpLimits {
  /** Registrations (POST /participants) per client address and minute, and at once. */
  registrationsPerMinute: number
  registrationBurst: number
  /** Wrong operator tokens per client address in 10 minutes before every attempt is refused. */
  maxAuthFailures: number
}

export const DEFAULT_REGISTRY_HTTP_LIMITS: RegistryHttpLimits = { registrationsPerMinute: 6, registrationBurst: 10, maxAuthFailures: 10 }

/**
 * The operator's token, compared (in constant time) before the failure count
 * is looked at: a client address that sent `maxAuthFailures` wrong tokens in
 * ten minutes has its further wrong ones refused (429), but the right token
 * is never refused — else anyone on the operator's own address (the CLI's
 * 127.0.0.1) locks the operator out. The token is 256 random bits: the limit
 * keeps guessers noisy, not lucky.
 */
function adminOnly(token: string, maxAuthFailures: number): MiddlewareHandler {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest()
  const expected = digest(token)
  const failures = new TokenBuckets(maxAuthFailures / 600, maxAuthFailures)
  return async (c, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')
    if (m === null) return fail(c, 401, 'unauthorized', 'admin token required: Authorization: Bearer <token>')
    if (timingSafeEqual(digest(m[1]!), expected)) return next()
    const who = clientAddress(c)
    const wait = failures.secondsUntilToken(who)
    if (wait > 0) {
      c.header('Retry-After', String(wait))
      return fail(c, 429, 'locked_out', `too many wrong operator tokens from ${who}; retry in ${wait} s`)
    }
    failures.take(who)
    return fail(c, 403, 'forbidden', 'admin token is not valid')
  }
}

/** Registrations per client address: 300 anonymous ones once took 8.7 s and grew the database by 4.9 MB. */
function registrationRate(limits: RegistryHttpLimits): MiddlewareHandler {
  const buckets = new TokenBuckets(limits.registrationsPerMinute / 60, limits.registrationBurst)
  return async (c, next) => {
    const who = clientAddress(c)
    if (!buckets.take(who)) {
      c.header('Retry-After', String(buckets.secondsUntilToken(who)))
      return fail(c, 429, 'rate_limited', `too many registrations from ${who}; retry later`)
    }
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
  limits?: RegistryHttpLimits
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json()
  } catch {
    throw new RegistryError(400, 'invalid_json', 'body must be JSON')
  }
}

/** The registry's HTTP API: thin routes over RegistryService. */
export function createRegistryApp({
  service,
  adminToken,
  publicKeyJwk,
  handovers,
  log,
  limits = DEFAULT_REGISTRY_HTTP_LIMITS
}: RegistryAppDeps): Hono {
  const admin = adminOnly(adminToken, limits.maxAuthFailures)
  const app = new Hono()

  app.get('/health', c => c.json({ status: 'ok' }))
  app.get('/registry', c => c.json({ peerId: service.peerId, publicKeyJwk }))
  // Signed by each previous key in turn: how nodes that pinned an old key reach the current one.
  app.get('/registry/handovers', c => c.json({ handovers }))

  // Nodes poll every 10 s with If-None-Match: an unchanged list costs a 304 and no signature check.
  app.get('/participants', async c => {
    const { jws, serial } = await service.list()
    const etag = `"${serial}-${createHash('sha256').update(jws).digest('hex').slice(0, 16)}"`
    const headers = { ETag: etag, 'Cache-Control': 'no-cache', 'X-Participant-List-Serial': String(serial) }
    if (
      c.req
        .header('if-none-match')
        ?.split(',')
        .some(t => t.trim() === etag) === true
    )
      return c.body(null, 304, headers)
    return c.body(jws, 200, { ...headers, 'Content-Type': 'application/jose' })
  })

  app.post(
    '/participants',
    registrationRate(limits),
    bodyLimit({ maxSize: 64 * 1024, onError: c => fail(c, 413, 'payload_too_large', 'registration over 64 KiB') }),
    async c => {
      let body: unknown
      try {
        body = await c.req.json()
      } catch {
        return fail(c, 400, 'invalid_json', 'body must be JSON: {"registration": "<compact JWS>"}')
      }
      const { participant, created, change } = await service.register((body as { registration?: unknown } | null)?.registration)
      // 202: an active participant asked for a rename or new addresses; the operator decides.
      return c.json(participant, created ? 201 : change === 'pending' ? 202 : 200)
    }
  )

  // Key lifecycle: signed by the participant's own keys, no admin token (see RegistryService.rotate).
  app.post(
    '/participants/rotate',
    bodyLimit({ maxSize: 64 * 1024, onError: c => fail(c, 413, 'payload_too_large', 'rotation over 64 KiB') }),
    async c => {
      const body = (await jsonBody(c)) as { registration?: unknown; rotation?: unknown } | null
      return c.json(await service.rotate(body?.registration, body?.rotation))
    }
  )
  app.post(
    '/participants/retire',
    bodyLimit({ maxSize: 64 * 1024, onError: c => fail(c, 413, 'payload_too_large', 'retirement over 64 KiB') }),
    async c => {
      const body = (await jsonBody(c)) as { retirement?: unknown } | null
      return c.json(await service.retire(body?.retirement))
    }
  )

  app.get('/participants/all', admin, c => c.json(service.all()))
  app.get('/participants/:id', c => c.json(service.get(c.req.param('id'))))
  app.post('/participants/:id/approve', admin, async c => c.json(await service.approve(c.req.param('id'))))
  app.post('/participants/:id/revoke', admin, async c => c.json(await service.revoke(c.req.param('id'))))
  app.delete('/participants/:id', admin, c => c.json(service.delete(c.req.param('id'))))

  app.notFound(c => fail(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`))
  app.onError((err, c) => {
    if (err instanceof RegistryError) return fail(c, err.status, err.code, err.message, err.field)
    log.error({ err }, 'unhandled error in request')
    return fail(c, 500, 'internal_error', 'internal error; see the registry log')
  })
  return app
}
