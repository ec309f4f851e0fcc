import type { Context, MiddlewareHandler } from 'hono'
import { KeyedSlots, TokenBuckets } from '@swf/protocol'
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
export function queryLimit(opts: QueryLimitOptions): MiddlewareHandler {
  const buckets = new TokenBuckets(opts.perMinute / 60, opts.burst)
  const perClient = new KeyedSlots(opts.maxConcurrentPerClient)
  let total = 0
  return async (c, next) => {
    if (!opts.applies(c)) return next()
    const who = clientAddress(c)
    if (perClient.count(who) >= perClient.max) {
      c.header('Retry-After', '1')
      return errorResponse(
        c,
        429,
        'rate_limited',
        `at most ${opts.maxConcurrentPerClient} queries at once from ${who}; wait for the running ones`
      )
    }
    if (total >= opts.maxConcurrent) {
      c.header('Retry-After', '1')
      return errorResponse(c, 503, 'busy', `this node runs ${opts.maxConcurrent} queries already; retry shortly`)
    }
    if (!buckets.take(who)) {
      c.header('Retry-After', String(buckets.secondsUntilToken(who)))
      return errorResponse(c, 429, 'rate_limited', `too many queries from ${who} (${opts.perMinute} per minute); retry later`)
    }
    perClient.take(who)
    total++
    try {
      await next()
    } finally {
      total--
      perClient.release(who)
    }
  }
}
