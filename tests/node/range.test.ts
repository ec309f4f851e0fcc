import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { BlobStore } from '@swf/node/blob-store'
import { blobs as blobTable } from '@swf/node/db/schema'
import { parseRange } from '@swf/node/http/range'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

describe('byte ranges', () => {
  it('a suffix range of an empty file is unsatisfiable, not an error', () => {
    expect(parseRange('bytes=-5', 0)).toBe('unsatisfiable')
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable')
    expect(parseRange('bytes=-5', 3)).toEqual({ start: 0, end: 2 })
    expect(parseRange('bytes=-2', 10)).toEqual({ start: 8, end: 9 })
  })

  describe('over HTTP', () => {
    let t: TestNode
    const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    beforeAll(async () => {
      t = await startTestNode()
      // Publishing refuses empty files now (issue 12), but a node may still hold one: an older
      // node's signed entry can carry it. Store one the way a fetched file is stored.
      const blobs = new BlobStore(join(t.dataDir, 'blobs'))
      expect((await blobs.write((async function* () {})(), 1024, EMPTY)).byteSize).toBe(0)
      t.node.db.insert(blobTable).values({ sha256: EMPTY, byteSize: 0, storedAt: new Date().toISOString() }).run()
      expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'leer' })))).status).toBe(201)
      const put = await t.api('/api/v1/datasets/leer/distributions/nichts', {
        method: 'PUT',
        headers: { 'content-type': 'text/plain' },
        body: new Uint8Array(0)
      })
      expect(put.status).toBe(400) // refused at publishing
    })
    afterAll(async () => {
      await t.cleanup()
    })

    it('Range: bytes=-5 on a 0-byte file answers 416 with the size, never 500', async () => {
      const res = await t.api(`/api/v1/files/${EMPTY}`, { headers: { range: 'bytes=-5' }, auth: false })
      expect(res.status).toBe(416)
      expect(res.headers.get('content-range')).toBe('bytes */0')
      expect((await res.json()).error.field).toBe('Range')
    })
  })
})
