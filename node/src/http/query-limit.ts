import type { Context, MiddlewareHandler } from 'hono'
import { TokenBuckets } from '../../../protocol/src/index.js'
import { clientAddress } from './client-address.js'
import { errorResponse } from './errors.js'

export interface QueryLimitOptions {
  /** Queries per client address and minute, sustained… */
  perMinute: number
  /** …and at once. */
  burst: number
  /** Queries of one client address under way at once. */
  maxConcurrentPerClient: number
  /** Queries under way at once on this node, from all clients. */
  maxConcurrent: number
  /** Which requests count (others pass untouched). */
  applies: (c: Context) => boolean
}

/**
 * Bounds what anonymous clients can make the region do: every federated
 * search or data query fans out to every node, so one client looping over
 * no-match queries once held a core busy on every node. Per client address
 * a token bucket and a concurrency cap, per node a concurrency cap; past
 * any of them 429 (client) or 503 (node busy) with Retry-After.
 */
export function queryLimit (opts: QueryLimitOptions): MiddlewareHandler {
  const buckets = new TokenBuckets(opts.perMinute / 60, opts.burst)
  const running = new Map<string, number>()
  let total = 0
  return async (c, next) => {
    if (!opts.applies(c)) return next()
    const who = clientAddress(c)
    const mine = running.get(who) ?? 0
    if (mine >= opts.maxConcurrentPerClient) {
      c.header('Retry-After', '1')
      return errorResponse(c, 429, 'rate_limited', `at most ${opts.maxConcurrentPerClient} queries at once from ${who}; wait for the running ones`)
    }
    if (total >= opts.maxConcurrent) {
      c.header('Retry-After', '1')
      return errorResponse(c, 503, 'busy', `this node runs ${opts.maxConcurrent} queries already; retry shortly`)
    }
    if (!buckets.take(who)) {
      c.header('Retry-After', String(buckets.secondsUntilToken(who)))
      return errorResponse(c, 429, 'rate_limited', `too many queries from ${who} (${opts.perMinute} per minute); retry later`)
    }
    running.set(who, mine + 1)
    total++
    try {
      await next()
    } finally {
      total--
      const n = (running.get(who) ?? 1) - 1
      if (n <= 0) running.delete(who)
      else running.set(who, n)
    }
  }
}
