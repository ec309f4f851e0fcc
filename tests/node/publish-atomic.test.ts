import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { publishFile } from '@swf/node/cli/publish'
import { NodeClient } from '@swf/node/cli/client'
import { formParts, multipartBoundary } from '@swf/node/http/multipart'
import { startTestNode, tempDir, type TestNode } from '../helpers/node.js'

// The web form once signed the dataset and then failed on its file (a type it
// could name no format for): a dataset without its file stayed, its id taken,
// the form could not be sent again. Publishing with a file is one step now —
// on the form, the API and the CLI — that succeeds or leaves nothing.

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const LIMIT = 256 * 1024
/** What browsers on Linux send for a .xyz file (shared-mime-info): no EU file-type code is known for it. */
const XYZ_TYPE = 'chemical/x-xyz'

describe('publishing with a file: all or nothing', () => {
  let t: TestNode
  beforeAll(async () => {
    t = await startTestNode({ maxUploadBytes: LIMIT })
  })
  afterAll(async () => {
    await t.cleanup()
  })

  const head = (): number => t.node.catalog.head().seq
  /** Files in blobs/tmp: an upload that ended must leave none. */
  const tmpFiles = (): number => readdirSync(join(t.dataDir, 'blobs', 'tmp')).length

  describe('the web form', () => {
    let cookie = ''
    let csrf = ''
    beforeAll(async () => {
      const login = await fetch(`${t.node.url}/verwaltung/anmelden`, {
        method: 'POST',
        body: new URLSearchParams({ token: t.token }),
        redirect: 'manual'
      })
      cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
      const html = await (await fetch(`${t.node.url}/verwaltung/neu`, { headers: { cookie } })).text()
      csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
      expect(csrf).not.toBe('')
    })
    const post = async (fields: Record<string, string>, file?: File): Promise<Response> => {
      const body = new FormData()
      for (const [k, v] of Object.entries({ csrf, license: 'dl-by-de/2.0', ...fields })) body.set(k, v)
      if (file !== undefined) body.set('file', file)
      return fetch(`${t.node.url}/verwaltung/neu`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' })
    }
    /** The error paragraphs that follow the input `id` (before the next label). */
    const errorsAt = (html: string, id: string): string => {
      const at = html.indexOf(`id="${id}"`)
      expect(at).toBeGreaterThan(0)
      const next = html.indexOf('<label', at)
      return html.slice(at, next < 0 ? undefined : next)
    }

    it('a file of a type it can name no format for answers the form with the error at the file format; nothing is signed', async () => {
      const before = head()
      const res = await post(
        { title: 'GPS-Spuren Wanderwege', description: 'Aufgezeichnete Wege.' },
        new File([randomBytes(4096)], 'track.xyz', { type: XYZ_TYPE })
      )
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(errorsAt(html, 'format')).toContain(`Dateiformat: für diesen Dateityp (${XYZ_TYPE}) ist kein Dateiformat bekannt.`)
      expect(head()).toBe(before)
      expect(t.node.catalog.listOwn(500).items.map(v => v.dataset.id)).not.toContain('gps-spuren-wanderwege')
      expect(tmpFiles()).toBe(0)
    })

    it('every problem at once: a missing description and the file format, each at its field; nothing is signed', async () => {
      const before = head()
      const res = await post({ title: 'GPS-Spuren Wanderwege' }, new File([randomBytes(100)], 'track.xyz', { type: XYZ_TYPE }))
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(errorsAt(html, 'description')).toContain('Beschreibung: bitte ausfüllen.')
      expect(errorsAt(html, 'format')).toContain('Dateiformat: für diesen Dateityp')
      expect(head()).toBe(before)
    })

    it('sent again under the same title with a good file, it is published: one entry with the file', async () => {
      const before = head()
      const csv = Buffer.from('name;breite;laenge\nHohe Bracht;51.12;8.03\n')
      const res = await post(
        { title: 'GPS-Spuren Wanderwege', description: 'Aufgezeichnete Wege.' },
        new File([csv], 'wege.csv', { type: 'text/csv' })
      )
      expect(res.status).toBe(303)
      expect(res.headers.get('location')).toBe(`/datensatz/${t.node.peerId}/gps-spuren-wanderwege`)
      expect(head()).toBe(before + 1)
      const dataset = t.node.catalog.getOwn('gps-spuren-wanderwege').dataset
      expect(dataset.distributions).toMatchObject([{ id: 'wege-csv', title: 'wege.csv', format: 'CSV', sha256: sha256(csv) }])
    })

    it('the format named in the form publishes a type the node knows no format for', async () => {
      const before = head()
      const gpx = Buffer.from('<gpx version="1.1"><trk><trkseg><trkpt lat="51.1" lon="8.0"/></trkseg></trk></gpx>')
      const res = await post(
        { title: 'Rundweg Kahler Asten', description: 'Ein GPX-Track.', format: 'gpx' },
        new File([gpx], 'rundweg.gpx', { type: 'application/gpx+xml' })
      )
      expect(res.status).toBe(303)
      expect(head()).toBe(before + 1)
      expect(t.node.catalog.getOwn('rundweg-kahler-asten').dataset.distributions).toMatchObject([
        { id: 'rundweg-gpx', format: 'GPX', mediaType: 'application/gpx+xml', sha256: sha256(gpx) }
      ])
    })

    it('an edit whose file is refused changes nothing, not even the metadata sent with it', async () => {
      const before = head()
      const body = new FormData()
      for (const [k, v] of Object.entries({ csrf, title: 'Neuer Titel', description: 'Neu.', license: 'dl-by-de/2.0' })) body.set(k, v)
      body.set('file', new File([randomBytes(10)], 'noch.xyz', { type: XYZ_TYPE }))
      const res = await fetch(`${t.node.url}/verwaltung/bearbeiten/gps-spuren-wanderwege`, {
        method: 'POST',
        body,
        headers: { cookie },
        redirect: 'manual'
      })
      expect(res.status).toBe(400)
      expect(errorsAt(await res.text(), 'format')).toContain('Dateiformat: für diesen Dateityp')
      expect(head()).toBe(before)
      expect(t.node.catalog.getOwn('gps-spuren-wanderwege').dataset.title).toBe('GPS-Spuren Wanderwege')
    })
  })

  describe('the API: POST /api/v1/datasets with the file (multipart)', () => {
    const metadata = { title: 'Messstellen Lenne', description: 'Pegel an der Lenne.', license: 'dl-by-de/2.0' }
    const form = (meta: unknown, file: File): FormData => {
      const body = new FormData()
      body.set('metadata', JSON.stringify(meta))
      body.set('file', file)
      return body
    }

    it('a file of a type without a known format: 400 naming "format", nothing signed, the id still free', async () => {
      const before = head()
      const res = await t.api('/api/v1/datasets', {
        method: 'POST',
        body: form(metadata, new File([randomBytes(2048)], 'pegel.xyz', { type: XYZ_TYPE }))
      })
      expect(res.status).toBe(400)
      expect((await res.json()).error).toMatchObject({ code: 'validation_failed', field: 'format' })
      expect(head()).toBe(before)
      expect((await t.api('/api/v1/datasets/messstellen-lenne')).status).toBe(404)
    })

    it('every problem at once: the metadata and the file are checked together before a byte is stored', async () => {
      const before = head()
      const res = await t.api('/api/v1/datasets', {
        method: 'POST',
        body: form({ title: 'Messstellen Lenne' }, new File([randomBytes(10)], 'pegel.xyz', { type: XYZ_TYPE }))
      })
      expect(res.status).toBe(400)
      const fields = ((await res.json()).error.errors as Array<{ field: string }>).map(e => e.field).sort()
      expect(fields).toEqual(['description', 'format', 'license'])
      expect(head()).toBe(before)
    })

    it('a file over the limit (413) and a body cut off inside the file (400) sign nothing and leave no file behind', async () => {
      const before = head()
      const big = await t.api('/api/v1/datasets', {
        method: 'POST',
        body: form(metadata, new File([randomBytes(LIMIT + 1)], 'pegel.csv', { type: 'text/csv' }))
      })
      expect(big.status).toBe(413)
      // The same request, its closing boundary and the file's last bytes missing (a connection that broke off).
      const whole = new Request('http://x/', {
        method: 'POST',
        body: form(metadata, new File([randomBytes(50_000)], 'pegel.csv', { type: 'text/csv' }))
      })
      const bytes = new Uint8Array(await whole.arrayBuffer())
      const cut = await t.api('/api/v1/datasets', {
        method: 'POST',
        headers: { 'content-type': whole.headers.get('content-type')! },
        body: bytes.subarray(0, bytes.length - 1000)
      })
      expect(cut.status).toBe(400)
      expect((await cut.json()).error.code).toBe('invalid_multipart')
      expect(head()).toBe(before)
      expect(tmpFiles()).toBe(0)
      expect((await t.api('/api/v1/datasets/messstellen-lenne')).status).toBe(404)
    })

    it('sent again with a good file: 201, one entry naming the file, which downloads byte for byte', async () => {
      const before = head()
      const csv = Buffer.from('pegel;breite;laenge\nAltena;51.29;7.67\n')
      const res = await t.api('/api/v1/datasets', {
        method: 'POST',
        body: form(metadata, new File([csv], 'pegel.csv', { type: 'text/csv' }))
      })
      expect(res.status).toBe(201)
      const body = await res.json()
      expect(body.entry.seq).toBe(before + 1)
      expect(body.distribution).toMatchObject({
        id: 'pegel-csv',
        title: 'pegel.csv',
        format: 'CSV',
        sha256: sha256(csv),
        byteSize: csv.length
      })
      expect(body.dataset.distributions).toEqual([body.distribution])
      expect(head()).toBe(before + 1)
      const file = await t.api('/api/v1/datasets/messstellen-lenne/distributions/pegel-csv/file', { auth: false })
      expect(sha256(new Uint8Array(await file.arrayBuffer()))).toBe(sha256(csv))
    })

    it('PUT /api/v1/datasets/{id} with a refused file keeps the dataset as it was; with a good one it is one entry', async () => {
      const before = head()
      const changed = { ...metadata, title: 'Pegel der Lenne' }
      const refused = await t.api('/api/v1/datasets/messstellen-lenne', {
        method: 'PUT',
        body: form(changed, new File([randomBytes(10)], 'mehr.xyz', { type: XYZ_TYPE }))
      })
      expect(refused.status).toBe(400)
      expect(head()).toBe(before)
      expect(t.node.catalog.getOwn('messstellen-lenne').dataset.title).toBe('Messstellen Lenne')
      const more = Buffer.from('pegel;breite;laenge\nFinnentrop;51.17;7.97\n')
      const ok = await t.api('/api/v1/datasets/messstellen-lenne', {
        method: 'PUT',
        body: form(changed, new File([more], 'mehr.csv', { type: 'text/csv' }))
      })
      expect(ok.status).toBe(200)
      expect(head()).toBe(before + 1)
      const dataset = t.node.catalog.getOwn('messstellen-lenne').dataset
      expect(dataset.title).toBe('Pegel der Lenne')
      expect(dataset.distributions.map(d => d.id)).toEqual(['pegel-csv', 'mehr-csv'])
    })
  })

  describe('the CLI: swf-node publish', () => {
    it('a refused file is one line naming "format", nothing signed; the same title with a good file then publishes in one entry', async () => {
      const dir = tempDir('swf-publish-')
      const client = new NodeClient({ dataDir: t.dataDir, url: t.node.url })
      const options = { title: 'Baumkataster Olpe', license: 'dl-by-de/2.0', theme: [], keyword: [] }
      writeFileSync(join(dir, 'baeume.xyz'), randomBytes(1000))
      const before = head()
      await expect(publishFile(client, join(dir, 'baeume.xyz'), { ...options, mediaType: XYZ_TYPE })).rejects.toThrow(
        /^400 validation_failed: no EU file-type code known for chemical\/x-xyz; pass format \(field "format"\)$/
      )
      expect(head()).toBe(before)
      expect((await t.api('/api/v1/datasets/baumkataster-olpe')).status).toBe(404)

      const csv = Buffer.from('art;breite;laenge\nEiche;51.03;7.84\n')
      writeFileSync(join(dir, 'baeume.csv'), csv)
      const r = await publishFile(client, join(dir, 'baeume.csv'), options)
      expect(r.entry.seq).toBe(before + 1)
      expect(r.distribution).toMatchObject({ id: 'baeume-csv', title: 'baeume.csv', sha256: sha256(csv) })
      expect(r.dataset.spatial?.bbox).toEqual([7.84, 51.03, 7.84, 51.03])
      // Again with new keywords: one more entry, the file in place of itself.
      const again = await publishFile(client, join(dir, 'baeume.csv'), { ...options, keyword: ['Baum'] })
      expect(again.entry.seq).toBe(before + 2)
      expect(again.dataset.keywords).toEqual(['Baum'])
      expect(again.dataset.distributions.map(d => d.id)).toEqual(['baeume-csv'])
      rmSync(dir, { recursive: true, force: true })
    })
  })

  describe('the multipart reader', () => {
    /** A body as fetch writes it, and its boundary. */
    const encoded = async (fields: Record<string, string | File>): Promise<{ bytes: Uint8Array; boundary: string }> => {
      const body = new FormData()
      for (const [k, v] of Object.entries(fields)) body.set(k, v)
      const req = new Request('http://x/', { method: 'POST', body })
      return { bytes: new Uint8Array(await req.arrayBuffer()), boundary: multipartBoundary(req.headers.get('content-type') ?? '')! }
    }
    async function* chunks(bytes: Uint8Array, sizes: () => number): AsyncIterable<Uint8Array> {
      for (let i = 0; i < bytes.length;) {
        const n = sizes()
        await Promise.resolve() // as from a socket: each chunk in a later tick
        yield bytes.subarray(i, i + n)
        i += n
      }
    }
    const read = async (source: AsyncIterable<Uint8Array>, boundary: string): Promise<Array<[string, string | undefined, string]>> => {
      const out: Array<[string, string | undefined, string]> = []
      for await (const part of formParts(source, boundary)) {
        const got: Uint8Array[] = []
        for await (const c of part.body) got.push(c)
        out.push([part.name, part.fileName, sha256(Buffer.concat(got))])
      }
      return out
    }

    it('gives the same parts however the body is cut into chunks, boundary look-alikes in the file included', async () => {
      const file = Buffer.concat([randomBytes(3000), Buffer.from('\r\n--'), randomBytes(10), Buffer.from('\r\n-'), randomBytes(3000)])
      const { bytes, boundary } = await encoded({ metadata: '{"title":"Ä"}', file: new File([file], 'Bäume 2026.csv') })
      const expected: Array<[string, string | undefined, string]> = [
        ['metadata', undefined, sha256(Buffer.from('{"title":"Ä"}'))],
        ['file', 'Bäume 2026.csv', sha256(file)]
      ]
      expect(
        await read(
          chunks(bytes, () => bytes.length),
          boundary
        )
      ).toEqual(expected)
      expect(
        await read(
          chunks(bytes, () => 1),
          boundary
        )
      ).toEqual(expected)
      let seed = 7
      for (let round = 0; round < 20; round++) {
        expect(
          await read(
            chunks(bytes, () => ((seed = (seed * 48271) % 2147483647) % 97) + 1),
            boundary
          )
        ).toEqual(expected)
      }
    })

    it('refuses a body cut off inside a part and header lines beyond 16 KiB', async () => {
      const { bytes, boundary } = await encoded({ metadata: '{}', file: new File([randomBytes(1000)], 'a.csv') })
      await expect(
        read(
          chunks(bytes.subarray(0, bytes.length - 10), () => 100),
          boundary
        )
      ).rejects.toThrow(/ends inside a part/)
      const long = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="x"\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`)
      await expect(
        read(
          chunks(long, () => 1000),
          boundary
        )
      ).rejects.toThrow(/within 16384 bytes/)
    })
  })
})
