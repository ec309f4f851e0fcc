import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json, snapshotState, startTestNode, type TestNode } from '../helpers/node.js'

// A source catalog on the internet is untrusted input: it may inflate, never
// end, or lead the node at its own network. The import must end with a
// clear 4xx, bounded memory, and nothing stored.

const MiB = 1024 * 1024

describe('import from hostile sources', () => {
  let t: TestNode
  let server: Server
  let base: string
  /** Turtle of one dataset whose next page is `next`. */
  const pageWithNext = (
    next: string
  ): string => `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<${base}/catalog> a dcat:Catalog ; hydra:nextPage <${next}> .`
  // A gzip bomb: 1 GB of spaces is about 1 MB compressed.
  const bomb = gzipSync(Buffer.alloc(1000 * MiB, 0x20), { level: 9 })

  beforeAll(async () => {
    t = await startTestNode()
    server = createServer((req, res) => {
      if (req.url === '/bomb.ttl') {
        res.writeHead(200, { 'content-type': 'text/turtle', 'content-encoding': 'gzip', 'content-length': String(bomb.length) })
        res.end(bomb)
      } else if (req.url === '/endless.ttl') {
        // 600 MB in chunks, no Content-Length; stops when the reader goes away.
        res.writeHead(200, { 'content-type': 'text/turtle' })
        const chunk = Buffer.alloc(MiB, 0x20)
        let sent = 0
        const more = (): void => {
          while (sent < 600 && !res.destroyed) {
            sent++
            if (!res.write(chunk)) {
              res.once('drain', more)
              return
            }
          }
          res.end()
        }
        res.on('close', () => {
          sent = 600
        })
        more()
      } else if (req.url === '/redirect-inside') {
        res.writeHead(302, { location: `http://127.0.0.2:${(server.address() as AddressInfo).port}/catalog.ttl` })
        res.end()
      } else if (req.url === '/next-inside.ttl') {
        res.writeHead(200, { 'content-type': 'text/turtle' })
        res.end(pageWithNext(`http://127.0.0.2:${(server.address() as AddressInfo).port}/catalog.ttl`))
      } else {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await t.cleanup()
    server.closeAllConnections()
    await new Promise(r => server.close(r))
  })

  const importUrl = async (url: string): Promise<{ status: number; body: any }> => {
    const res = await t.api('/api/v1/import', json({ url }))
    return { status: res.status, body: await res.json() }
  }

  it('a gzip bomb (1 MB → 1 GB) and a 600 MB stream without length: 422 naming url, memory bounded, nothing stored', async () => {
    const before = snapshotState(t)
    const rss0 = process.memoryUsage().rss
    for (const path of ['/bomb.ttl', '/endless.ttl']) {
      const r = await importUrl(`${base}${path}`)
      expect(r.status, path).toBe(422)
      expect(r.body.error).toMatchObject({ code: 'import_source_unreadable', field: 'url' })
      expect(r.body.error.message).toMatch(/larger than 67108864 bytes/)
    }
    // Before: both answered 500 and left the node at 1.7 GB.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(400 * MiB)
    expect(snapshotState(t)).toBe(before)
  }, 60_000)

  it('a redirect or a next page to another host on a loopback/private address is refused, by name', async () => {
    const redirect = await importUrl(`${base}/redirect-inside`)
    expect(redirect.status).toBe(422)
    expect(redirect.body.error.message).toMatch(/refused to follow http:\/\/127\.0\.0\.2:\d+\/catalog\.ttl: it leads to 127\.0\.0\.2/)
    // A next page that leads inside is not followed either: the import ends there, with the reason in its report.
    const next = await importUrl(`${base}/next-inside.ttl`)
    expect(next.status).toBe(200)
    expect(next.body).toMatchObject({
      pages: 1,
      complete: false,
      failedPages: [
        { url: expect.stringMatching(/^http:\/\/127\.0\.0\.2/), reason: expect.stringMatching(/refused to follow http:\/\/127\.0\.0\.2/) }
      ]
    })
  })
})
