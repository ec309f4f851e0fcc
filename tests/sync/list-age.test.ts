import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// A registry that stops answering freezes every node's participant list —
// and a revocation with it. The node must say how old its list is.

describe('participant list age while the registry is silent', () => {
  const region = new TestRegion()
  let soest: RegionNode

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040', { sync: { maxListAgeMs: 1_000 } })
    await waitFor(async () => (await soest.api('/api/v1/status')).registry.lastFetchAt !== null, 'first list fetched')
  })
  afterAll(async () => {
    await region.close()
  })

  it("status, metrics and the region page show the list's age and call it stale past sync.maxListAgeMs", async () => {
    const fresh = (await soest.api('/api/v1/status')).registry
    expect(fresh.stale).toBe(false)
    expect(fresh.listAgeSeconds).toBeLessThanOrEqual(1)
    await region.registry.stop()
    const stale = await waitFor(
      async () => {
        const r = (await soest.api('/api/v1/status')).registry
        return r.stale === true ? r : undefined
      },
      'list stale',
      10_000,
      100
    )
    expect(stale.listAgeSeconds).toBeGreaterThanOrEqual(1)
    expect(stale.lastFetchError).toMatch(/fetch failed|ECONNREFUSED|answered/)
    const metrics = await (await fetch(`${soest.node.url}/metrics`)).text()
    expect(Number(/^swf_participant_list_age_seconds (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1)
    expect(await (await fetch(`${soest.node.url}/region`)).text()).toContain('Die Teilnehmerliste ist veraltet')
    // Back again: fresh at the next refresh.
    await region.startRegistry()
    await waitFor(async () => (await soest.api('/api/v1/status')).registry.stale === false, 'fresh again', 10_000, 100)
  })
})
