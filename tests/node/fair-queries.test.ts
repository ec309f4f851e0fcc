import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { FairSlots, SlotRefusedError } from '@swf/node/fair-slots'
import { queryLimit } from '@swf/node/http/query-limit'
import {
  MAX_SHARED_ANSWER_BYTES,
  MAX_SHARED_ANSWERS,
  SHARED_ANSWER_MS,
  SharedDataAnswers,
  type FederatedDataResult
} from '@swf/node/region/federated-data-query'
import type { NodeStatus } from '@swf/node/region/federation'
import type { DataQuery } from '@swf/protocol'

// The parts that keep the regional view available to honest clients under
// anonymous load (tests/region/regional-view-load.test.ts drives them together).

const refusal = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
  } catch (err) {
    if (err instanceof SlotRefusedError) return err.reason
    throw err
  }
  throw new Error('not refused')
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>(r => {
    resolve = r
  })
  return { promise, resolve }
}

describe('FairSlots', () => {
  it('gives a freed slot to the key that used the fewest lately, first come among equals', async () => {
    const slots = new FairSlots({ max: 1, maxWaiting: 10 })
    const releaseFirst = await slots.acquire('loop')
    const order: string[] = []
    // Each holder frees its slot at once; the next goes to the lightest key.
    const waits = ['loop', 'loop', 'honest', 'other'].map(key =>
      slots.acquire(key).then(release => {
        order.push(key)
        release()
      })
    )
    expect([slots.running, slots.waiting]).toEqual([1, 4])
    releaseFirst()
    await Promise.all(waits)
    expect(order).toEqual(['honest', 'other', 'loop', 'loop'])
    expect([slots.running, slots.waiting]).toEqual([0, 0])
  })

  it('sheds the heaviest key’s newest waiter when the waiting room is full, or the newcomer when it is the heaviest', async () => {
    const slots = new FairSlots({ max: 1, maxWaiting: 2 })
    const release = await slots.acquire('loop') // 'loop' has used one slot
    const loop1 = slots.acquire('loop')
    const loop2 = slots.acquire('loop')
    const honest = slots.acquire('honest')
    expect(await refusal(loop2)).toBe('shed')
    // Another of the heaviest key is refused outright: nobody lighter waits behind it.
    expect(await refusal(slots.acquire('loop'))).toBe('full')
    expect(slots.waiting).toBe(2)
    release()
    const first = await Promise.race([honest.then(() => 'honest'), loop1.then(() => 'loop')])
    expect(first).toBe('honest')
  })

  it('stops waiting when the signal aborts, and never grants a slot nobody waits for', async () => {
    const slots = new FairSlots({ max: 1, maxWaiting: 4 })
    const release = await slots.acquire('a')
    const gone = new AbortController()
    const waiting = slots.acquire('b', gone.signal)
    gone.abort()
    expect(await refusal(waiting)).toBe('aborted')
    expect(slots.waiting).toBe(0)
    expect(await refusal(slots.acquire('c', AbortSignal.abort()))).toBe('aborted')
    release()
    release() // twice: still one slot freed
    expect(slots.running).toBe(0)
  })

  it('grants no faster than its rate, the burst at once', async () => {
    const slots = new FairSlots({ max: 10, maxWaiting: 10, ratePerSecond: 50, burst: 2 })
    await slots.acquire('a')
    await slots.acquire('a')
    let third = false
    const later = slots.acquire('a').then(r => {
      third = true
      return r
    })
    // No token is left: the third waits for the next (20 ms), it is not granted in this turn.
    await Promise.resolve()
    expect([third, slots.running, slots.waiting]).toEqual([false, 2, 1])
    await later
    expect(slots.running).toBe(3)
  })
})

describe('queryLimit', () => {
  /** An app whose one route holds each request until the test lets it go. */
  function app(opts: { maxConcurrent: number; maxQueued: number; queueMs: number }): {
    get: (from: string) => Promise<Response>
    hold: Array<() => void>
    arrived: () => number
  } {
    const hold: Array<() => void> = []
    let arrived = 0
    const a = new Hono()
    a.use(queryLimit({ perMinute: 6_000, burst: 100, maxConcurrentPerClient: 2, ...opts, applies: () => true }))
    a.get('/q', async c => {
      arrived++
      const d = deferred()
      hold.push(d.resolve)
      await d.promise
      return c.json({ ok: true })
    })
    return {
      get: from => Promise.resolve(a.request('/q', {}, { incoming: { socket: { remoteAddress: from } } })),
      hold,
      arrived: () => arrived
    }
  }
  const until = async (check: () => boolean): Promise<void> => {
    while (!check()) await new Promise(r => setImmediate(r))
  }

  it('queues a busy node’s queries and serves the client that asked least first', async () => {
    const t = app({ maxConcurrent: 1, maxQueued: 4, queueMs: 60_000 })
    const loop1 = t.get('10.0.0.1')
    await until(() => t.arrived() === 1)
    const loop2 = t.get('10.0.0.1')
    const honest = t.get('10.0.0.2')
    // A third from the same client is over its own limit: 429 at once.
    const over = await t.get('10.0.0.1')
    expect(over.status).toBe(429)
    t.hold.shift()!()
    expect((await loop1).status).toBe(200)
    await until(() => t.arrived() === 2)
    t.hold.shift()!()
    expect((await honest).status).toBe(200) // the honest client went first, though it came second
    await until(() => t.arrived() === 3)
    t.hold.shift()!()
    expect((await loop2).status).toBe(200)
  })

  it('answers 503 with Retry-After when the wait is over or the heaviest client’s place is shed', async () => {
    const t = app({ maxConcurrent: 1, maxQueued: 1, queueMs: 50 })
    const running = t.get('10.0.0.1')
    await until(() => t.arrived() === 1)
    const shed = t.get('10.0.0.1')
    const honest = t.get('10.0.0.2') // the queue holds one: the heavier client's place goes
    const s = await shed
    expect(s.status).toBe(503)
    expect(s.headers.get('retry-after')).toBe('1')
    expect(((await s.json()) as any).error).toMatchObject({ code: 'busy' })
    const late = await honest // nothing came free within queueMs
    expect(late.status).toBe(503)
    expect(late.headers.get('retry-after')).toBe('1')
    expect(((await late.json()) as any).error.message).toContain('within 50 ms')
    t.hold.shift()!()
    expect((await running).status).toBe(200)
  })
})

describe('SharedDataAnswers', () => {
  const node = (status: NodeStatus['status']): NodeStatus => ({ peerId: `p-${status}`, kommune: null, status, latencyMs: 1, hits: 0 })
  const query = (maxx: number): DataQuery => ({ bbox: [7, 50, maxx, 52], where: [], limit: 10 })
  const result = (...statuses: Array<NodeStatus['status']>): FederatedDataResult => ({
    matches: [],
    truncated: false,
    nodes: statuses.map(node)
  })

  it('asks once for identical queries under way and reuses a complete answer for a few seconds', async () => {
    let now = 1_000_000
    let runs = 0
    const gate = deferred()
    const shared = new SharedDataAnswers(
      async () => {
        runs++
        await gate.promise
        return result('local', 'answered')
      },
      () => now
    )
    const a = shared.answer(query(8), 2_000, 'a')
    const b = shared.answer({ limit: 10, where: [], bbox: [7, 50, 8, 52] }, 2_000, 'b') // same query, fields in another order
    gate.resolve()
    expect(await a).toBe(await b)
    await shared.answer(query(8), 2_000)
    expect(runs).toBe(1)
    await shared.answer(query(9), 2_000) // another bbox
    await shared.answer(query(8), 5_000) // another deadline
    expect(runs).toBe(3)
    now += SHARED_ANSWER_MS
    await shared.answer(query(8), 2_000)
    expect(runs).toBe(4)
  })

  it('keeps no answer missing a node, no failure, and stays within its bounds', async () => {
    let runs = 0
    let answer: () => FederatedDataResult = () => result('local', 'error')
    const shared = new SharedDataAnswers(() => {
      runs++
      return new Promise(resolve => {
        resolve(answer())
      })
    })
    await shared.answer(query(8), 2_000)
    await shared.answer(query(8), 2_000)
    expect(runs).toBe(2)
    answer = () => {
      throw new Error('down')
    }
    await expect(shared.answer(query(8), 2_000)).rejects.toThrow('down')
    expect(shared.size).toBe(0)
    answer = () => result('local')
    for (let i = 0; i < MAX_SHARED_ANSWERS + 10; i++) await shared.answer(query(8 + i / 1000), 2_000)
    expect(shared.size).toBeLessThanOrEqual(MAX_SHARED_ANSWERS)
    const big = 'x'.repeat(MAX_SHARED_ANSWER_BYTES)
    answer = () => ({
      ...result('local'),
      matches: [{ format: 'CSV', row: { big }, origin: { publisher: 'p', kommune: null, datasetId: 'd', distributionId: 'e' } }]
    })
    runs = 0
    await shared.answer(query(20), 2_000)
    await shared.answer(query(20), 2_000)
    expect(runs).toBe(2)
  })
})
