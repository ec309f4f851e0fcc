import type { MiddlewareHandler } from 'hono'
import { TokenBuckets } from '@swf/protocol'
import { clientAddress } from './client-address.js'
import { errorResponse } from './errors.js'

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Limits write requests (anything but GET, HEAD, OPTIONS) per client address; 429 with Retry-After past it. */
export function writeRateLimit(perMinute: number, burst: number): MiddlewareHandler {
  const buckets = new TokenBuckets(perMinute / 60, burst)
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next()
    const who = clientAddress(c)
    if (!buckets.take(who)) {
      c.header('Retry-After', String(buckets.secondsUntilToken(who)))
      return errorResponse(c, 429, 'rate_limited', `too many write requests from ${who}; retry later`)
    }
    await next()
  }
}

/**
 * Counts wrong admin tokens per client address; past `max` in ten minutes
 * every further wrong one from there is refused (429), so guessing costs the
 * guesser ten minutes per `max` tries. Callers compare the token first: the
 * right one is never refused, or a guesser on the operator's address (or the
 * proxy's) would lock the operator out.
 */
export class AuthFailures {
  readonly #buckets: TokenBuckets

  constructor(max: number) {
    this.#buckets = new TokenBuckets(max / 600, max)
  }

  /** Seconds to wait before `who` may try again, or 0. */
  blockedFor(who: string): number {
    return this.#buckets.secondsUntilToken(who)
  }

  failed(who: string): void {
    this.#buckets.take(who)
  }
}
