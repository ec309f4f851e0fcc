import { afterAll, describe, expect, it } from 'vitest'
import { publishBulk } from '../helpers/bulk.js'
import { TestRegion, waitFor } from '../helpers/region.js'

describe('bulk sync', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('10,000 entries sync between two fresh nodes to exactly the same set', async () => {
    await region.startRegistry()
    const a = await region.addNode('Stadt Arnsberg', '05958004')
    await publishBulk(a.node, 10_000)
    expect(region.contentHash(a).count).toBe(10_000)

    const b = await region.addNode('Stadt Sundern (Sauerland)', '05958044')
    // While it runs, the pull reports what the peer announced (progress for the CLI).
    const seen: Array<{ expected: number | null; received: number }> = []
    await waitFor(
      () => {
        seen.push(...b.node.network!.replication.sync.progress())
        return region.contentHash(b).count === 10_000
      },
      'B holds 10,000 entries',
      120_000,
      50
    )
    expect(seen.some(p => p.expected === 10_000 && p.received < 10_000)).toBe(true)
    expect(region.contentHash(b)).toEqual(region.contentHash(a))
    expect(region.datasetIds(b)).toHaveLength(10_000)
    const status = await b.api('/api/v1/status')
    expect(status.sync).toEqual([expect.objectContaining({ publisher: a.node.peerId, contiguousSeq: 10_000, maxSeq: 10_000, lag: 0 })])
    expect(status.accepted.rejected).toBe(0)
  })
})
