import { describe, expect, it } from 'vitest'
import { REPO, sh } from '../helpers/readme.js'

// `npm run simulate` as the README prints it, at a size a test can afford: the
// figures for 60 and 396 nodes are the benchmark's (docs/PERFORMANCE.md).
describe('npm run simulate', () => {
  it('runs a region of nodes in one process and reports propagation, gossip bytes, churn and idle CPU', async () => {
    const r = await sh('npm run simulate', { cwd: REPO, env: { ...process.env, SIM_NODES: '8', SIM_PUBLICATIONS: '4' } })
    expect(r.code, r.stderr).toBe(0)
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, any>
    expect(result.error).toBeUndefined()
    expect(result.nodes).toBe(8)
    expect(result.propagation.publications).toBe(4)
    // Every node but the publisher received every entry, through at least one hop.
    expect(result.propagation.hops.p50).toBeGreaterThanOrEqual(1)
    expect(result.propagation.hops.max).toBeLessThan(8)
    expect(result.gossipWire.bytesPerDeliveredEntry).toBeGreaterThan(result.gossipWire.entryBytes)
    expect(result.churn).toMatchObject({ away: 1, publishedMeanwhile: 20 })
    expect(result.churn.convergedSeconds).toBeGreaterThanOrEqual(0)
    expect(result.idle.cpuPercentPerNode).toBeGreaterThan(0)
  }, 240_000)
})
