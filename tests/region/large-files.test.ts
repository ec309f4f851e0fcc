import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type ChildNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

// Files of any size move between Kommunen, node to node over libp2p, with
// bounded memory. Both nodes run as their own processes (swf-node start), as
// in production: in one process the event loop paced sender and receiver
// alike and hid that the reader's 4 MiB buffer overflowed from 10 MB up.

const MiB = 1024 * 1024

/** A deterministic body of `size` bytes, produced block by block (never held whole). */
function generated(size: number, seed: number): { body: ReadableStream<Uint8Array>; sha256: string } {
  const block = createHash('sha512').update(`block-${seed}`).digest()
  const chunk = Buffer.alloc(MiB)
  for (let i = 0; i < MiB; i += block.length) block.copy(chunk, i)
  const hash = createHash('sha256')
  for (let sent = 0; sent < size; sent += MiB) hash.update(chunk.subarray(0, Math.min(MiB, size - sent)))
  let sent = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) {
        controller.close()
        return
      }
      const n = Math.min(MiB, size - sent)
      controller.enqueue(Uint8Array.from(chunk.subarray(0, n)))
      sent += n
    }
  })
  return { body, sha256: hash.digest('hex') }
}

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

describe('files of any size between two Kommunen (separate processes)', () => {
  const region = new TestRegion()
  let soest: ChildNode, olpe: ChildNode

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addChildNode('Stadt Soest', '05974040', { maxUploadBytes: 1100 * MiB })
    olpe = await region.addChildNode('Stadt Olpe', '05966024', { maxUploadBytes: 1100 * MiB })
    const res = await fetch(`${soest.url}/api/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${soest.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(sampleDataset({ id: 'luftbilder', title: 'Luftbilder Soest', spatial: { ags: '05974040' } }))
    })
    expect(res.status).toBe(201)
  }, 120_000)
  afterAll(async () => {
    await region.close()
  })

  for (const size of [1 * MiB, 10 * MiB, 100 * MiB, 1000 * MiB]) {
    it(`${size / MiB} MB: published in Soest, downloaded through Olpe's node, byte for byte`, async () => {
      const dist = `kachel-${size / MiB}`
      const file = generated(size, size)
      const put = await fetch(`${soest.url}/api/v1/datasets/luftbilder/distributions/${dist}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${soest.token}`, 'content-type': 'image/tiff' },
        body: file.body,
        duplex: 'half'
      })
      expect(put.status).toBe(201)
      const path = `/api/v1/catalog/${soest.peerId}/luftbilder/distributions/${dist}/file`
      // Olpe must first hold the entry that names the file.
      await waitFor(
        async () =>
          (await fetch(`${olpe.url}/api/v1/catalog/${soest.peerId}/luftbilder`)).ok &&
          ((await (await fetch(`${olpe.url}/api/v1/catalog/${soest.peerId}/luftbilder`)).json()) as any).dataset.distributions.some(
            (d: any) => d.id === dist
          ),
        'Olpe holds the distribution',
        30_000
      )

      const res = await fetch(`${olpe.url}${path}`)
      expect(res.status, await (res.status === 200 ? '' : res.clone().text())).toBe(200)
      const hash = createHash('sha256')
      let received = 0
      for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(bytes)
        received += bytes.byteLength
      }
      expect(received).toBe(size)
      expect(hash.digest('hex')).toBe(file.sha256)
      tally('MB moved node to node between processes (verified)', size / MiB)
      // Streamed, never held whole: the reader's peak memory stays far below the file.
      expect(peakRss(olpe.child.pid!)).toBeLessThan(400 * MiB)
    }, 300_000)
  }
})
