import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { PeerGuard } from '@swf/node/p2p/peer-guard'
import { KeyedSlots, TokenBuckets } from '@swf/protocol'

const silent = pino({ level: 'silent' })
const guard = (): PeerGuard =>
  new PeerGuard({ requestsPerSecond: 2, burst: 4, maxStrikes: 3, strikeWindowMs: 60_000, banMs: 10_000 }, silent)

describe('TokenBuckets', () => {
  it('allows the burst, then the rate, per key', () => {
    const b = new TokenBuckets(2, 4)
    const t = 1_000_000
    expect([1, 2, 3, 4, 5].map(() => b.take('a', 1, t))).toEqual([true, true, true, true, false])
    expect(b.take('b', 1, t)).toBe(true) // another key has its own bucket
    expect(b.secondsUntilToken('a', t)).toBe(1)
    expect(b.take('a', 1, t + 499)).toBe(false)
    expect(b.take('a', 1, t + 500)).toBe(true) // 2 per second: one token after 500 ms
  })
})

describe('PeerGuard', () => {
  it('refuses requests over the rate and counts them', () => {
    const g = guard()
    const t = 5_000_000
    const allowed = Array.from({ length: 10 }, () => g.allowRequest('p', t)).filter(Boolean).length
    expect(allowed).toBe(4)
    expect(g.counters.refusedRequests).toBe(6)
    expect(g.allowRequest('p', t + 1_000)).toBe(true)
  })

  it('bans after more than maxStrikes in the window, emits ban once, and lifts the ban after banMs', () => {
    const g = guard()
    const banned: string[] = []
    g.on('ban', peer => banned.push(peer))
    const t = 7_000_000
    g.strike('p', 'forged', 3, t)
    expect(g.isBanned('p', t)).toBe(false)
    g.strike('p', 'forged', 1, t + 10)
    expect(g.isBanned('p', t + 10)).toBe(true)
    expect(g.allowRequest('p', t + 20)).toBe(false)
    g.strike('p', 'forged', 5, t + 30) // no second ban while banned
    expect(banned).toEqual(['p'])
    expect(g.isBanned('p', t + 10_011)).toBe(false)
    expect(g.bans(t + 10_011)).toEqual([])
  })

  it('forgets strikes older than the window', () => {
    const g = guard()
    const t = 9_000_000
    g.strike('p', 'forged', 3, t)
    g.strike('p', 'forged', 3, t + 60_001)
    expect(g.isBanned('p', t + 60_001)).toBe(false)
  })
})

describe('KeyedSlots', () => {
  it('allows max under way per key, frees a slot on release and forgets idle keys', () => {
    const slots = new KeyedSlots(2)
    expect([slots.take('a'), slots.take('a'), slots.take('a'), slots.take('b')]).toEqual([true, true, false, true])
    slots.release('a')
    expect(slots.count('a')).toBe(1)
    expect(slots.take('a')).toBe(true)
    slots.release('b')
    expect(slots.count('b')).toBe(0)
  })
})
