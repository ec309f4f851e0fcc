import type { Context, MiddlewareHandler } from 'hono'
import { KeyedSlots, TokenBuckets } from '@swf/protocol'
import { FairSlots, SlotRefusedError } from '../fair-slots.js'
import { clientAddress } from './client-address.js'
import { errorResponse } from './errors.js'

export interface QueryLimitOptions {
  /** Queries per client address and minute, sustained… */
  perMinute: number
  /** …and at once. */
  burst: number
  /** Queries of one client address under way at once (running or waiting). */
  maxConcurrentPerClient: number
  /** Queries under way at once on this node, from all clients. */
  maxConcurrent: number
  /** Queries waiting for one of those, from all clients… */
  maxQueued: number
  /** …each at most this long before it is answered 503. */
  queueMs: number
  /** Which requests count (others pass untouched). */
  applies: (c: Context) => boolean
}

/**
 * Bounds what anonymous clients can make the region do: every federated
 * search or data query fans out to every node, so one client looping over
 * no-match queries once held a core busy on every node. Per client address
 * a token bucket and a concurrency cap (429); per node a concurrency cap
 * with a short fair queue in front: a freed place goes to the client that
 * used the fewest lately, so sixteen clients looping cannot crowd out one
 * asking now and then (they were answered 503 for half their requests).
 * A full queue sheds the heaviest client's newest request; a wait past
 * `queueMs` is a 503. Every refusal carries Retry-After.
 */
export function queryLimit(opts: QueryLimitOptions): MiddlewareHandler {
  const buckets = new TokenBuckets(opts.perMinute / 60, opts.burst)
  const perClient = new KeyedSlots(opts.maxConcurrentPerClient)
  const slots = new FairSlots({ max: opts.maxConcurrent, maxWaiting: opts.maxQueued })
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
    if (!buckets.take(who)) {
      c.header('Retry-After', String(buckets.secondsUntilToken(who)))
      return errorResponse(c, 429, 'rate_limited', `too many queries from ${who} (${opts.perMinute} per minute); retry later`)
    }
    perClient.take(who)
    try {
      let release: () => void
      try {
        // A client that hung up stops waiting too.
        release = await slots.acquire(who, AbortSignal.any([AbortSignal.timeout(opts.queueMs), c.req.raw.signal]))
      } catch (err) {
        if (!(err instanceof SlotRefusedError)) throw err
        c.header('Retry-After', String(Math.max(1, Math.ceil(opts.queueMs / 1000))))
        return errorResponse(
          c,
          503,
          'busy',
          `this node runs ${opts.maxConcurrent} queries already and ${busyReason(err, opts)}; retry shortly`
        )
      }
      try {
        await next()
      } finally {
        release()
      }
    } finally {
      perClient.release(who)
    }
  }
}

function busyReason(err: SlotRefusedError, opts: QueryLimitOptions): string {
  if (err.reason === 'aborted') return `no place came free within ${opts.queueMs} ms`
  if (err.reason === 'shed') return 'your place in the queue went to a client that asks less'
  return `${opts.maxQueued} queries wait already`
}
