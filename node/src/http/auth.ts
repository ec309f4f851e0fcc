import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { clientAddress } from './client-address.js'
import { errorResponse } from './errors.js'
import type { AuthFailures } from './rate-limit.js'

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/** Constant-time token check (both sides hashed, so lengths leak nothing). */
export function tokenChecker(token: string): (candidate: string) => boolean {
  const expected = digest(token)
  return candidate => timingSafeEqual(digest(candidate), expected)
}

/**
 * Requires `Authorization: Bearer <admin token>`. Both sides are hashed first
 * so the comparison is constant-time whatever the length of the guess. The
 * token is compared before the failure count is looked at: wrong tokens from
 * an address are refused (429) past the limit, the right one never is — else
 * anyone sharing the operator's address (or a proxy's) locks the operator out.
 * The token is 256 random bits: the limit keeps guessers noisy, not lucky.
 */
export function requireAdminToken(token: string, failures: AuthFailures): MiddlewareHandler {
  const matches = tokenChecker(token)
  return async (c, next) => {
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match === null) {
      c.header('WWW-Authenticate', 'Bearer realm="swf-node"')
      return errorResponse(c, 401, 'unauthorized', 'admin token required: Authorization: Bearer <token>')
    }
    if (matches(match[1]!)) return next()
    const who = clientAddress(c)
    const wait = failures.blockedFor(who)
    if (wait > 0) {
      c.header('Retry-After', String(wait))
      return errorResponse(c, 429, 'too_many_failed_logins', `too many wrong admin tokens from ${who}; retry in ${wait} s`)
    }
    failures.failed(who)
    return errorResponse(c, 403, 'forbidden', 'admin token is not valid')
  }
}
