import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeFetchHeader, FETCH_PROTOCOL, MAX_FRAME_BYTES, decodeFetchRequest } from '@swf/protocol'
import { framedStream } from '@swf/node/p2p/framed-stream'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// A registered participant serves files it should not: claims beyond the
// limit, a trickle, bytes that do not match the signed hash; and a node's
// own copy rots on disk. The reader must end every download, never store a
// wrong byte, and get the file from an honest holder where one exists.

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Files this node holds in its blob store (not tmp/ or quarantine/). */
function blobFiles(n: RegionNode): string[] {
  const root = join(n.dataDir, 'blobs')
  return readdirSync(root)
    .filter(d => d.length === 2)
    .flatMap(d => readdirSync(join(root, d)))
}
const tmpBytes = (n: RegionNode): number => readdirSync(join(n.dataDir, 'blobs', 'tmp')).length

/** Mallory's node answers every fetch itself, with `serve` writing the frames after the request. */
async function rogueFetch(mallory: RegionNode, serve: (io: ReturnType<typeof framedStream>, sha: string) => Promise<void>): Promise<void> {
  const host = mallory.node.network!.host
  await host.unhandle(FETCH_PROTOCOL)
  await host.handle(FETCH_PROTOCOL, async stream => {
    const io = framedStream(stream, MAX_FRAME_BYTES, 120_000)
    try {
      await serve(io, decodeFetchRequest(await io.read()).sha256)
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  })
}

describe('bad files from a registered participant', () => {
  const region = new TestRegion()
  let soest: RegionNode, olpe: RegionNode, arnsberg: RegionNode, mallory: RegionNode
  const file = randomBytes(3 * 1024 * 1024)
  const malloryFile = randomBytes(2 * 1024 * 1024)

  const put = async (n: RegionNode, id: string, dist: string, body: Uint8Array): Promise<void> => {
    const res = await fetch(`${n.node.url}/api/v1/datasets/${id}/distributions/${dist}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${n.token}`, 'content-type': 'application/octet-stream' },
      body
    })
    expect(res.status).toBe(201)
  }
  const holds = (n: RegionNode, publisher: RegionNode, id: string, dist: string): boolean => {
    const row = n.node.db.$client
      .prepare('SELECT metadata FROM datasets WHERE publisher = ? AND dataset_id = ?')
      .get(publisher.node.peerId, id) as { metadata: string } | undefined
    return (
      row !== undefined && (JSON.parse(row.metadata) as { distributions: Array<{ id: string }> }).distributions.some(d => d.id === dist)
    )
  }

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    mallory = await region.addNode('Gemeinde Mallory', '05999999')
    // Olpe keeps copies of Soest's and Mallory's files.
    olpe = await region.addNode('Stadt Olpe', '05966024', { mirror: { publishers: ['05974040', '05999999'] } })
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004')
    await waitFor(() => region.nodes.every(n => n.node.network!.host.getPeers().length === 3), 'full mesh')

    await region.publish(soest, sampleDataset({ id: 'luftbild', title: 'Luftbild' }))
    await put(soest, 'luftbild', 'kachel', file)
    await region.publish(mallory, sampleDataset({ id: 'echt', title: 'Echt' }))
    await put(mallory, 'echt', 'daten', malloryFile)
    await waitFor(() => blobFiles(olpe).includes(sha256(file)) && blobFiles(olpe).includes(sha256(malloryFile)), 'Olpe mirrors both files')
    await waitFor(
      () => holds(arnsberg, soest, 'luftbild', 'kachel') && holds(arnsberg, mallory, 'echt', 'daten'),
      'Arnsberg holds the entries'
    )
  }, 120_000)
  afterAll(async () => {
    await region.close()
  })

  it('a signed claim above maxUploadBytes is refused with 413 before a byte moves, by readers and mirrors alike', async () => {
    const claimed = 5 * 1024 * 1024 * 1024
    await region.publish(
      mallory,
      sampleDataset({
        id: 'riesig',
        title: 'Riesig',
        distributions: [
          {
            id: 'fuenf-gb',
            title: '5 GB',
            format: 'BIN',
            mediaType: 'application/octet-stream',
            license: 'dl-by-de/2.0',
            sha256: 'ab'.repeat(32),
            byteSize: claimed
          }
        ]
      })
    )
    // Mallory would serve the claim for ever.
    await rogueFetch(mallory, async io => {
      await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'ok', size: claimed }))
      for (;;) await io.write(randomBytes(256 * 1024))
    })
    await waitFor(
      () => holds(arnsberg, mallory, 'riesig', 'fuenf-gb') && holds(olpe, mallory, 'riesig', 'fuenf-gb'),
      'the claim reached Arnsberg and Olpe'
    )
    const res = await fetch(`${arnsberg.node.url}/api/v1/catalog/${mallory.node.peerId}/riesig/distributions/fuenf-gb/file`)
    expect(res.status).toBe(413)
    const body = (await res.json()) as any
    expect(body.error.code).toBe('file_too_large')
    expect(body.error.message).toMatch(/5368709120 bytes/)
    // Olpe's mirror saw the claim too and wrote nothing. Its one queue takes files in order: a file Soest
    // publishes now comes behind the claim, so once Olpe holds it, the claim has been dealt with.
    const later = randomBytes(64 * 1024)
    await region.publish(soest, sampleDataset({ id: 'nach-dem-riesen', title: 'Nach dem Riesen' }))
    await put(soest, 'nach-dem-riesen', 'daten', later)
    await waitFor(() => blobFiles(olpe).includes(sha256(later)), "Olpe's mirror past the claim")
    expect(tmpBytes(arnsberg)).toBe(0)
    expect(tmpBytes(olpe)).toBe(0)
    expect(blobFiles(olpe)).not.toContain('ab'.repeat(32))
  })

  it('a trickle (a few bytes now and then) ends the download, and every request waiting on the same file, within the progress window', async () => {
    await rogueFetch(mallory, async (io, sha) => {
      await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'ok', size: malloryFile.length }))
      expect(sha).toBe(sha256(malloryFile))
      for (let i = 0; i < 60; i++) {
        await io.write(malloryFile.subarray(i, i + 1))
        await new Promise(r => setTimeout(r, 1_000))
      }
    })
    // Olpe's honest copy must not rescue this case: Arnsberg asks Mallory (the publisher) first, then Olpe.
    await olpe.stop()
    try {
      const url = `${arnsberg.node.url}/api/v1/catalog/${mallory.node.peerId}/echt/distributions/daten/file`
      const t0 = Date.now()
      const [a, b] = await Promise.all([fetch(url), fetch(url)])
      const seconds = (Date.now() - t0) / 1000
      expect(a.status).toBe(503)
      expect(b.status).toBe(503)
      expect(JSON.stringify(await a.json())).toMatch(/sent \d+ bytes in 10000 ms/)
      // One progress window (10 s) plus dialling, not the 60 s the trickle would last.
      expect(seconds).toBeLessThan(25)
      expect(blobFiles(arnsberg)).not.toContain(sha256(malloryFile))
      expect(tmpBytes(arnsberg)).toBe(0)
    } finally {
      await olpe.start()
    }
  }, 60_000)

  it('a holder that serves wrong bytes is struck and the next holder is asked: the reader gets the signed file', async () => {
    await rogueFetch(mallory, async io => {
      const wrong = Buffer.from(malloryFile)
      wrong[12345] = wrong[12345]! ^ 0xff
      await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'ok', size: wrong.length }))
      for (let i = 0; i < wrong.length; i += 256 * 1024) await io.write(wrong.subarray(i, i + 256 * 1024))
    })
    await waitFor(() => arnsberg.node.network!.host.getPeers().some(p => p.toString() === olpe.node.peerId), 'Arnsberg reconnected to Olpe')
    const strikes = arnsberg.node.network!.guard.counters.strikes
    const res = await fetch(`${arnsberg.node.url}/api/v1/catalog/${mallory.node.peerId}/echt/distributions/daten/file`)
    expect(res.status).toBe(200)
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(malloryFile))
    expect(arnsberg.node.network!.guard.counters.strikes).toBe(strikes + 1)
    expect(blobFiles(arnsberg)).toContain(sha256(malloryFile))
  })

  it('a corrupted blob on disk is never served: it is quarantined and fetched again from a holder, over HTTP and to peers', async () => {
    const hash = sha256(file)
    const path = join(soest.dataDir, 'blobs', hash.slice(0, 2), hash)
    // Serve once so the intact file is known, then let it rot.
    expect((await fetch(`${soest.node.url}/api/v1/datasets/luftbild/distributions/kachel/file`)).status).toBe(200)
    const rotten = Buffer.from(readFileSync(path))
    rotten[999] = rotten[999]! ^ 0x01
    writeFileSync(path, rotten)

    // By hash, with the signed hash as ETag: Soest must not answer with the rotten bytes.
    const byHash = await fetch(`${soest.node.url}/api/v1/files/${hash}`)
    expect([404, 503]).toContain(byHash.status)
    expect(readdirSync(join(soest.dataDir, 'blobs', 'quarantine')).some(f => f.startsWith(hash))).toBe(true)

    // Its own download route fetches the file back from Olpe's mirror.
    const own = await fetch(`${soest.node.url}/api/v1/datasets/luftbild/distributions/kachel/file`)
    expect(own.status).toBe(200)
    expect(sha256(new Uint8Array(await own.arrayBuffer()))).toBe(hash)
    expect(existsSync(path)).toBe(true)
    expect(sha256(readFileSync(path))).toBe(hash)
  })

  it('a node whose copy rotted answers peers "not found", so readers fall through to an intact holder', async () => {
    const hash = sha256(file)
    // Arnsberg has no copy yet; rot Soest's (verified) copy again.
    const path = join(soest.dataDir, 'blobs', hash.slice(0, 2), hash)
    const rotten = Buffer.from(readFileSync(path))
    rotten[5] = rotten[5]! ^ 0x01
    writeFileSync(path, rotten)
    const res = await fetch(`${arnsberg.node.url}/api/v1/catalog/${soest.node.peerId}/luftbild/distributions/kachel/file`)
    expect(res.status).toBe(200)
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(hash)
  })
})
