import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EntryVerifier } from '@swf/protocol'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, snapshotState, startTestNode, type ApiResponse, type TestNode } from '../helpers/node.js'

const UPLOAD_LIMIT = 12 * 1024 * 1024
let t: TestNode

beforeAll(async () => {
  t = await startTestNode({ maxUploadBytes: UPLOAD_LIMIT })
})
afterAll(async () => {
  await t.cleanup()
})

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('dataset lifecycle over HTTP', () => {
  const file = randomBytes(10 * 1024 * 1024)

  it('creates, uploads 10 MB, downloads byte-identical, updates and deletes with a signed tombstone', async () => {
    const created = await t.api('/api/v1/datasets', json(sampleDataset()))
    expect(created.status).toBe(201)
    const c = await created.json()
    expect(c.entry.seq).toBe(1)
    expect(c.dataset.publisher).toEqual({ name: 'Stadt Arnsberg' })

    const up = await t.api('/api/v1/datasets/radwege-arnsberg/distributions/netz-csv?title=Radwegenetz%20CSV', {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: file
    })
    expect(up.status).toBe(201)
    const u = await up.json()
    expect(u.distribution).toMatchObject({
      id: 'netz-csv',
      format: 'CSV',
      mediaType: 'text/csv',
      byteSize: file.length,
      sha256: sha256(file),
      license: 'dl-by-de/2.0'
    })
    expect(u.entry.seq).toBe(2)

    const down = await t.api('/api/v1/datasets/radwege-arnsberg/distributions/netz-csv/file', { auth: false })
    expect(down.status).toBe(200)
    expect(down.headers.get('content-type')).toBe('text/csv')
    expect(down.headers.get('content-length')).toBe(String(file.length))
    expect(down.headers.get('etag')).toBe(`"${sha256(file)}"`)
    expect(Buffer.from(await down.arrayBuffer()).equals(file)).toBe(true)

    const byHash = await t.api(`/api/v1/files/${sha256(file)}`, { auth: false })
    expect(sha256(new Uint8Array(await byHash.arrayBuffer()))).toBe(sha256(file))

    const part = await t.api('/api/v1/datasets/radwege-arnsberg/distributions/netz-csv/file', {
      auth: false,
      headers: { range: 'bytes=1000-1999' }
    })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${file.length}`)
    expect(Buffer.from(await part.arrayBuffer()).equals(file.subarray(1000, 2000))).toBe(true)
    const tail = await t.api('/api/v1/datasets/radwege-arnsberg/distributions/netz-csv/file', {
      auth: false,
      headers: { range: 'bytes=-10' }
    })
    expect(Buffer.from(await tail.arrayBuffer()).equals(file.subarray(file.length - 10))).toBe(true)
    const beyond = await t.api('/api/v1/datasets/radwege-arnsberg/distributions/netz-csv/file', {
      auth: false,
      headers: { range: `bytes=${file.length}-` }
    })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${file.length}`)
    const cached = await t.api('/api/v1/datasets/radwege-arnsberg/distributions/netz-csv/file', {
      auth: false,
      headers: { 'if-none-match': `"${sha256(file)}"` }
    })
    expect(cached.status).toBe(304)

    const updated = await t.api('/api/v1/datasets/radwege-arnsberg', {
      ...json(sampleDataset({ title: 'Radwegenetz Arnsberg 2026' })),
      method: 'PUT'
    })
    expect(updated.status).toBe(200)
    const upd = await updated.json()
    expect(upd.entry.seq).toBe(3)
    expect(upd.dataset.title).toBe('Radwegenetz Arnsberg 2026')
    expect(upd.dataset.distributions).toHaveLength(1) // kept when the body leaves them out

    const got = await (await t.api('/api/v1/datasets/radwege-arnsberg', { auth: false })).json()
    expect(got.dataset.title).toBe('Radwegenetz Arnsberg 2026')

    const del = await t.api('/api/v1/datasets/radwege-arnsberg', { method: 'DELETE' })
    expect(del.status).toBe(200)
    expect((await t.api('/api/v1/datasets/radwege-arnsberg', { auth: false })).status).toBe(404)

    const raw = await (await t.api('/api/v1/datasets/radwege-arnsberg/entry', { auth: false })).json()
    const verified = await new EntryVerifier().verify(raw.jws)
    expect(verified.payload).toMatchObject({ tombstone: true, seq: 4, publisher: t.node.peerId, datasetId: 'radwege-arnsberg' })
    expect(verified.payload.prevHash).toBe(upd.entry.hash)
    expect(verified.payload.dataset).toBeUndefined()
  })

  it('chains every own entry: seq 1..n with prevHash of the one before', async () => {
    const rows = t.node.db.$client.prepare('SELECT seq, hash, jws FROM entries ORDER BY seq').all() as Array<{
      seq: number
      hash: string
      jws: string
    }>
    const verifier = new EntryVerifier()
    let prev: string | null = null
    for (const [i, row] of rows.entries()) {
      const e = await verifier.verify(row.jws)
      expect(e.payload.seq).toBe(i + 1)
      expect(e.payload.prevHash).toBe(prev)
      expect(e.hash).toBe(row.hash)
      prev = row.hash
    }
    expect(rows.length).toBeGreaterThanOrEqual(4)
  })

  it('pages through datasets, each exactly once', async () => {
    for (let i = 0; i < 7; i++) {
      expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: `seite-${i}`, title: `Seite ${i}` })))).status).toBe(201)
    }
    const seen: string[] = []
    let cursor: string | null = ''
    while (cursor !== null) {
      const page: { items: Array<{ dataset: { id: string } }>; nextCursor: string | null } = await (
        await t.api(`/api/v1/datasets?limit=3${cursor === '' ? '' : `&cursor=${cursor}`}`, { auth: false })
      ).json()
      expect(page.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.items.map(i => i.dataset.id))
      cursor = page.nextCursor
    }
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `seite-${i}`))
  })

  it('derives an id from the title when none is given, and refuses a duplicate', async () => {
    const r = await t.api('/api/v1/datasets', json({ ...sampleDataset(), id: undefined, title: 'Straßenschäden Süd' }))
    expect(r.status).toBe(201)
    expect((await r.json()).dataset.id).toBe('strassenschaeden-sued')
    const dup = await t.api('/api/v1/datasets', json({ ...sampleDataset(), id: undefined, title: 'Straßenschäden Süd' }))
    expect(dup.status).toBe(409)
    expect((await dup.json()).error).toMatchObject({ code: 'conflict', field: 'id' })
  })
})

describe('bad input gets a 4xx naming the problem and changes nothing', () => {
  const cases: Array<[string, () => Promise<ApiResponse>, number, string, string?]> = [
    [
      'missing title',
      async () => t.api('/api/v1/datasets', json({ ...sampleDataset({ id: 'neu' }), title: undefined })),
      400,
      'validation_failed',
      'title'
    ],
    [
      'unknown licence',
      async () => t.api('/api/v1/datasets', json(sampleDataset({ id: 'neu', license: 'beerware' }))),
      400,
      'validation_failed',
      'license'
    ],
    [
      'bbox out of range',
      async () => t.api('/api/v1/datasets', json(sampleDataset({ id: 'neu', spatial: { bbox: [7, 51, 200, 52] } }))),
      400,
      'validation_failed',
      'spatial.bbox.2'
    ],
    [
      'unknown field',
      async () => t.api('/api/v1/datasets', json({ ...sampleDataset({ id: 'neu' }), licence: 'x' })),
      400,
      'validation_failed',
      'licence'
    ],
    [
      'invalid JSON',
      async () => t.api('/api/v1/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title": "x",' }),
      400,
      'invalid_json'
    ],
    ['empty body', async () => t.api('/api/v1/datasets', { method: 'POST', body: '' }), 400, 'invalid_json'],
    [
      'JSON body over 1 MiB',
      async () => t.api('/api/v1/datasets', json(sampleDataset({ id: 'neu', description: 'x'.repeat(1_100_000) }))),
      413,
      'payload_too_large'
    ],
    ['missing token', async () => t.api('/api/v1/datasets', { ...json(sampleDataset({ id: 'neu' })), auth: false }), 401, 'unauthorized'],
    [
      'wrong token',
      async () =>
        t.api('/api/v1/datasets', {
          ...json(sampleDataset({ id: 'neu' })),
          headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }
        }),
      403,
      'forbidden'
    ],
    ['missing token on delete', async () => t.api('/api/v1/datasets/seite-1', { method: 'DELETE', auth: false }), 401, 'unauthorized'],
    [
      'missing token on upload',
      async () => t.api('/api/v1/datasets/seite-1/distributions/d', { method: 'PUT', body: 'abc', auth: false }),
      401,
      'unauthorized'
    ],
    [
      'path traversal in dataset id',
      async () => t.api('/api/v1/datasets/..%2F..%2Fetc%2Fpasswd', { auth: false }),
      400,
      'validation_failed',
      'id'
    ],
    [
      'path traversal in distribution id',
      async () => t.api('/api/v1/datasets/seite-1/distributions/..%2F..%2Fnode-key.json', { method: 'PUT', body: 'abc' }),
      400,
      'validation_failed',
      'distributionId'
    ],
    ['overlong id', async () => t.api(`/api/v1/datasets/${'a'.repeat(101)}`, { auth: false }), 400, 'validation_failed', 'id'],
    [
      'id in body differs from path',
      async () => t.api('/api/v1/datasets/seite-1', { ...json(sampleDataset({ id: 'seite-2' })), method: 'PUT' }),
      400,
      'validation_failed',
      'id'
    ],
    [
      'update of a missing dataset',
      async () => t.api('/api/v1/datasets/gibt-es-nicht', { ...json(sampleDataset({ id: 'gibt-es-nicht' })), method: 'PUT' }),
      404,
      'not_found'
    ],
    [
      'oversize upload with Content-Length',
      async () =>
        t.api('/api/v1/datasets/seite-1/distributions/gross', {
          method: 'PUT',
          headers: { 'content-type': 'text/csv' },
          body: randomBytes(UPLOAD_LIMIT + 1)
        }),
      413,
      'payload_too_large'
    ],
    [
      'oversize upload streamed without length',
      async () =>
        t.api('/api/v1/datasets/seite-1/distributions/gross', {
          method: 'PUT',
          headers: { 'content-type': 'text/csv' },
          body: chunked(UPLOAD_LIMIT + 64 * 1024),
          duplex: 'half'
        }),
      413,
      'payload_too_large'
    ],
    [
      'upload with unknown media type and no format',
      async () =>
        t.api('/api/v1/datasets/seite-1/distributions/x', {
          method: 'PUT',
          headers: { 'content-type': 'application/x-weird' },
          body: 'abc'
        }),
      400,
      'validation_failed',
      'format'
    ],
    [
      'upload with unknown licence',
      async () =>
        t.api('/api/v1/datasets/seite-1/distributions/x?license=free', {
          method: 'PUT',
          headers: { 'content-type': 'text/csv' },
          body: 'abc'
        }),
      400,
      'validation_failed',
      'license'
    ],
    ['bad page size', async () => t.api('/api/v1/datasets?limit=0', { auth: false }), 400, 'validation_failed', 'limit'],
    ['bad sha256', async () => t.api('/api/v1/files/abc', { auth: false }), 400, 'validation_failed', 'sha256'],
    ['unknown route', async () => t.api('/api/v1/nothing', { auth: false }), 404, 'not_found']
  ]

  it.each(cases)('%s', async (_name, request, status, code, field) => {
    const before = snapshotState(t)
    const res = await request()
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    const body = await res.json()
    expect(body.error.code).toBe(code)
    expect(typeof body.error.message).toBe('string')
    if (field !== undefined) expect(body.error.field).toBe(field)
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/) // no stack traces
    expect(snapshotState(t)).toBe(before)
  })
})

describe('restart on the same data directory', () => {
  it('keeps datasets, files and entries, and continues the sequence', async () => {
    const before = snapshotState(t)
    const head = t.node.catalog.head()
    await t.restart()
    expect(snapshotState(t)).toBe(before)
    const r = await t.api('/api/v1/datasets', json(sampleDataset({ id: 'nach-neustart', title: 'Nach dem Neustart' })))
    expect(r.status).toBe(201)
    const { entry } = await r.json()
    expect(entry.seq).toBe(head.seq + 1)
    const raw = await (await t.api('/api/v1/datasets/nach-neustart/entry', { auth: false })).json()
    expect(raw.payload.prevHash).toBe(head.hash)
    const status = await (await t.api('/api/v1/status', { auth: false })).json()
    expect(status.ownEntries).toBe(head.seq + 1)
  })
})

function chunked(total: number): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) {
        controller.close()
        return
      }
      const n = Math.min(64 * 1024, total - sent)
      sent += n
      controller.enqueue(randomBytes(n))
    }
  })
}
