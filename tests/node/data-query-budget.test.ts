import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dataQuerySchema } from '@swf/protocol'
import { BlobStore } from '@swf/node/blob-store'
import { DataQueryService } from '@swf/node/services/data-query-service'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

// A data query spends a bounded amount of CPU, stops when its asker is gone,
// and skips files that cannot match without reading them.

describe('data query budget', () => {
  let t: TestNode
  let service: DataQueryService
  const rows = 50_000

  beforeAll(async () => {
    t = await startTestNode()
    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'zaehlung' })))).status).toBe(201)
    const csv = ['id,lat,lon,strasse']
      .concat(Array.from({ length: rows }, (_, i) => `${i},${51 + i / rows},${7.8 + i / rows},Straße ${i}`))
      .join('\n')
    expect(
      (await t.api('/api/v1/datasets/zaehlung/distributions/daten', { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv }))
        .status
    ).toBe(201)
    service = new DataQueryService(t.node.search, new BlobStore(join(t.dataDir, 'blobs')), t.node.peerId)
  })
  afterAll(async () => {
    await t.cleanup()
  })

  const q = (input: unknown) => dataQuerySchema.parse(input)

  it('an aborted asker stops the scan: nothing more is matched, the answer says truncated', async () => {
    const gone = AbortSignal.abort()
    const r = await service.run(q({ where: [{ field: 'strasse', op: 'contains', value: 'Straße' }], limit: 1000 }), { signal: gone })
    expect(r.truncated).toBe(true)
    expect(r.matches.length).toBeLessThan(1000)
  })

  it('a spent budget ends the scan with what was found (truncated), not with the whole file', async () => {
    const r = await service.run(q({ where: [{ field: 'strasse', op: 'eq', value: 'keine' }], limit: 10 }), { maxMs: 0 })
    expect(r.truncated).toBe(true)
    expect(r.matches).toEqual([])
    const full = await service.run(q({ where: [{ field: 'strasse', op: 'eq', value: 'Straße 49999' }], limit: 10 }))
    expect(full).toEqual({ matches: [expect.objectContaining({ row: expect.objectContaining({ id: '49999' }) })], truncated: false })
  })

  it('a field the file lacks or a bbox outside its extent skips the file unread (nothing matched, not truncated)', async () => {
    expect(await service.run(q({ where: [{ field: 'gibtesnicht', op: 'eq', value: 'x' }] }), { maxMs: 0 })).toEqual({
      matches: [],
      truncated: false
    })
    expect(await service.run(q({ bbox: [9.5, 50, 9.6, 50.1] }), { maxMs: 0 })).toEqual({ matches: [], truncated: false })
  })
})
