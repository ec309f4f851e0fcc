import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type ChildNode, type RegionNode } from '../helpers/region.js'

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Road-damage points in Soest (GeoJSON), one of them outside the query box. */
const SOEST_GEOJSON = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [8.106, 51.571] },
      properties: { id: 1, schadensart: 'Schlagloch', strasse: 'Brüderstraße' }
    },
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [8.112, 51.575] },
      properties: { id: 2, schadensart: 'Riss', strasse: 'Ulricherstraße' }
    },
    {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [9.5, 52.0] },
      properties: { id: 3, schadensart: 'Schlagloch', strasse: 'außerhalb' }
    }
  ]
})
/** Menden: comma-separated, lat/lon columns. */
const MENDEN_CSV = 'id,lat,lon,schadensart,strasse\n1,51.443,7.797,Schlagloch,Hauptstraße\n2,51.447,7.801,Riss,Bahnhofstraße\n'
/** Arnsberg: semicolon-separated, German column names and decimal commas. */
const ARNSBERG_CSV = 'Nr;Breite;Laenge;Schadensart\n1;51,3975;8,0627;Schlagloch\n2;51,4217;8,0219;Absenkung\n'

describe("find and use the region's data (5 nodes)", () => {
  const region = new TestRegion()
  let arnsberg: RegionNode, soest: RegionNode, menden: RegionNode, olpe: RegionNode
  let iserlohn: ChildNode
  const big = randomBytes(20 * 1024 * 1024)

  const upload = async (n: RegionNode, id: string, dist: string, type: string, body: Uint8Array | string): Promise<any> => {
    const res = await fetch(`${n.node.url}/api/v1/datasets/${id}/distributions/${dist}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${n.token}`, 'content-type': type },
      body
    })
    expect(res.status).toBe(201)
    return res.json()
  }
  const get = async (n: RegionNode, path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${n.node.url}${path}`)
    return { status: res.status, body: await res.json() }
  }
  /** Reads an NDJSON answer chunk by chunk: each line with the number of the chunk it arrived in. */
  const streamed = async (n: RegionNode, path: string): Promise<Array<{ chunk: number; msg: any }>> => {
    const res = await fetch(`${n.node.url}${path}`, { headers: { accept: 'application/x-ndjson' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    const lines: Array<{ chunk: number; msg: any }> = []
    const decoder = new TextDecoder()
    let buffer = ''
    let chunk = 0
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(bytes, { stream: true })
      const parts = buffer.split('\n')
      buffer = parts.pop()!
      for (const line of parts) if (line !== '') lines.push({ chunk, msg: JSON.parse(line) })
      chunk++
    }
    expect(buffer).toBe('')
    return lines
  }

  beforeAll(async () => {
    await region.startRegistry()
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004')
    soest = await region.addNode('Stadt Soest', '05974040')
    menden = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    olpe = await region.addNode('Stadt Olpe', '05966024', { mirror: { publishers: ['05974040'] } })
    iserlohn = await region.addChildNode('Stadt Iserlohn', '05962024')

    await region.publish(
      soest,
      sampleDataset({
        id: 'strassenschaeden',
        title: 'Straßenzustandserfassung 2026',
        keywords: ['Straße', 'Schaden'],
        themes: ['TRAN'],
        description: 'Schlaglöcher und Risse, erfasst bei der Befahrung der Innenstadt.',
        spatial: { bbox: [8.05, 51.54, 8.17, 51.6], ags: '05974040' }
      })
    )
    await upload(soest, 'strassenschaeden', 'schadstellen', 'application/geo+json', SOEST_GEOJSON)
    await region.publish(
      menden,
      sampleDataset({
        id: 'strassenschaeden',
        title: 'Straßenschäden Menden',
        keywords: ['Straße'],
        themes: ['TRAN'],
        spatial: { bbox: [7.75, 51.4, 7.85, 51.48] }
      })
    )
    await upload(menden, 'strassenschaeden', 'punkte', 'text/csv', MENDEN_CSV)
    await region.publish(
      menden,
      sampleDataset({
        id: 'verkehrszaehlung',
        title: 'Verkehrszählung',
        description: 'Zählstellen an Hauptstraßen, stündlich.',
        themes: ['TRAN'],
        keywords: ['Verkehr'],
        spatial: { bbox: [7.75, 51.4, 7.85, 51.48] }
      })
    )
    await upload(menden, 'verkehrszaehlung', 'rohdaten', 'application/octet-stream', big)
    await region.publish(
      arnsberg,
      sampleDataset({ id: 'schaeden', title: 'Schäden im Straßennetz', keywords: ['Straße'], themes: ['TRAN'], license: 'cc-by/4.0' })
    )
    await upload(arnsberg, 'schaeden', 'liste', 'text/csv', ARNSBERG_CSV)
    await region.publish(
      olpe,
      sampleDataset({
        id: 'kita',
        title: 'Kita-Plätze',
        description: 'Freie Plätze in Kindertagesstätten.',
        themes: ['SOCI'],
        keywords: ['Kita'],
        license: 'dl-zero-de/2.0',
        spatial: { ags: '05966024' }
      })
    )
    await fetch(`${iserlohn.url}/api/v1/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${iserlohn.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        sampleDataset({
          id: 'parkhaeuser',
          title: 'Parkhäuser',
          description: 'Belegung der Parkhäuser in der Innenstadt.',
          keywords: ['Parken'],
          themes: ['TRAN']
        })
      )
    })
    // Everyone holds every entry (4 in-process nodes checked directly, Iserlohn over HTTP).
    const total = 7
    for (const n of region.nodes) await waitFor(() => region.contentHash(n).count >= total + 3, `catalog complete on ${n.name}`, 30_000)
    await waitFor(
      async () => ((await (await fetch(`${iserlohn.url}/api/v1/status`)).json()) as any).regionalEntries >= total + 3,
      'catalog complete on Iserlohn',
      30_000
    )
  }, 120_000)
  afterAll(async () => {
    await region.close()
  })

  it("finds a neighbour's dataset by a German word of its description, with facets and provenance", async () => {
    const { status, body } = await get(arnsberg, '/api/v1/search?q=Schlagl%C3%B6cher')
    expect(status).toBe(200)
    expect(body.items.map((i: any) => i.dataset.title)).toEqual(['Straßenzustandserfassung 2026'])
    expect(body.items[0].provenance).toMatchObject({ publisher: soest.node.peerId, kommune: 'Stadt Soest', publisherOnline: true, seq: 2 })
    expect(body.items[0].provenance.receivedAt).not.toBeNull()
    const facets = (await get(arnsberg, '/api/v1/search?q=strasse')).body.facets
    expect(facets.publisher.map((f: any) => f.label).sort()).toEqual(['Stadt Arnsberg', 'Stadt Menden (Sauerland)', 'Stadt Soest'])
    expect(facets.theme).toEqual([{ value: 'TRAN', count: 3 }])
  })

  it('filters by publisher, AGS, licence and bbox across the region, and pages every hit once', async () => {
    expect((await get(arnsberg, `/api/v1/search?publisher=${menden.node.peerId}`)).body.total).toBe(2)
    expect((await get(arnsberg, '/api/v1/search?ags=05966024')).body.items.map((i: any) => i.dataset.id)).toEqual(['kita'])
    expect((await get(arnsberg, '/api/v1/search?license=cc-by/4.0')).body.items.map((i: any) => i.provenance.kommune)).toEqual([
      'Stadt Arnsberg'
    ])
    const inSoest = (await get(arnsberg, '/api/v1/search?bbox=8.0,51.5,8.2,51.7')).body.items
    expect(inSoest.map((i: any) => i.provenance.kommune)).toEqual(['Stadt Soest'])
    const all = (await get(arnsberg, '/api/v1/search?limit=100')).body
    expect(all.total).toBe(6)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: any = (await get(arnsberg, `/api/v1/search?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)).body
      seen.push(...page.items.map((i: any) => `${i.provenance.publisher}/${i.dataset.id}`))
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(seen).toEqual(all.items.map((i: any) => `${i.provenance.publisher}/${i.dataset.id}`))
  })

  it('runs a federated data query: road-damage points in a bbox from three Kommunen, each with its origin', async () => {
    const { status, body } = await get(olpe, '/api/v1/query?bbox=7.5,51.2,8.3,51.7&where=schadensart%3DSchlagloch')
    expect(status).toBe(200)
    const byKommune = (k: string): any[] => body.matches.filter((m: any) => m.origin.kommune === k)
    expect(byKommune('Stadt Soest')).toHaveLength(1)
    expect(byKommune('Stadt Soest')[0]).toMatchObject({
      format: 'GEOJSON',
      feature: { properties: { id: 1, strasse: 'Brüderstraße' } },
      origin: { publisher: soest.node.peerId, datasetId: 'strassenschaeden', distributionId: 'schadstellen' }
    })
    expect(byKommune('Stadt Menden (Sauerland)')).toEqual([
      expect.objectContaining({ format: 'CSV', row: expect.objectContaining({ id: '1', strasse: 'Hauptstraße' }) })
    ])
    expect(byKommune('Stadt Arnsberg')).toEqual([
      expect.objectContaining({ format: 'CSV', row: expect.objectContaining({ Nr: '1', Schadensart: 'Schlagloch' }) })
    ])
    expect(body.matches).toHaveLength(3)
    expect(body.nodes.filter((n: any) => n.status === 'answered' || n.status === 'local')).toHaveLength(5)
    // Streamed: a line per node with its own matches, then the same merged result.
    const lines = (await streamed(olpe, '/api/v1/query?bbox=7.5,51.2,8.3,51.7&where=schadensart%3DSchlagloch')).map(l => l.msg)
    const nodeLines = lines.filter(m => m.type === 'node')
    expect(nodeLines).toHaveLength(5)
    expect(lines.at(-1)).toMatchObject({ type: 'result', truncated: false })
    expect(lines.at(-1).matches).toHaveLength(3)
    expect(
      nodeLines
        .flatMap(m => m.matches)
        .map((m: any) => m.origin.kommune)
        .sort()
    ).toEqual(['Stadt Arnsberg', 'Stadt Menden (Sauerland)', 'Stadt Soest'])
    for (const m of nodeLines) expect(m.matches.every((x: any) => x.origin.publisher === m.node.peerId)).toBe(true)
    const contains = (await get(olpe, '/api/v1/query?where=schadensart~ris')).body
    expect(contains.matches.map((m: any) => m.origin.kommune).sort()).toEqual(['Stadt Menden (Sauerland)', 'Stadt Soest'])
    const bad = await get(olpe, '/api/v1/query?where=nonsense')
    expect(bad.status).toBe(400)
    expect(bad.body.error.field).toBe('where.0')
    expect((await get(olpe, '/api/v1/query')).status).toBe(400)
  })

  it("downloads a neighbour's 20 MB file byte-identical through one's own node", async () => {
    const { body: view } = await get(arnsberg, `/api/v1/catalog/${menden.node.peerId}/verkehrszaehlung`)
    expect(view.dataset.distributions[0].sha256).toBe(sha256(big))
    const res = await fetch(`${arnsberg.node.url}/api/v1/catalog/${menden.node.peerId}/verkehrszaehlung/distributions/rohdaten/file`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(big.length))
    const got = Buffer.from(await res.arrayBuffer())
    expect(got.equals(big)).toBe(true)
  })

  // A peer serving wrong bytes on purpose (struck, next holder asked) is in tests/sync/bad-files.test.ts.
  it('a holder whose copy rotted on disk never serves it: it quarantines the copy, the reader stores nothing', async () => {
    const { body: view } = await get(soest, `/api/v1/catalog/${arnsberg.node.peerId}/schaeden`)
    const hash = view.dataset.distributions[0].sha256 as string
    // Arnsberg's copy on disk goes bad (same length, other bytes).
    const path = join(arnsberg.dataDir, 'blobs', hash.slice(0, 2), hash)
    writeFileSync(path, ARNSBERG_CSV.replace('Schlagloch', 'Schlaglxch'))
    const blobsBefore = readdirSync(join(soest.dataDir, 'blobs'), { recursive: true }).sort()
    const res = await fetch(`${soest.node.url}/api/v1/catalog/${arnsberg.node.peerId}/schaeden/distributions/liste/file`)
    // Arnsberg checks its copy before serving and answers "not found"; no other node holds the file.
    expect(res.status).toBe(503)
    expect(((await res.json()) as any).error.code).toBe('unavailable')
    expect(readdirSync(join(arnsberg.dataDir, 'blobs', 'quarantine')).some(f => f.startsWith(hash))).toBe(true)
    expect(readdirSync(join(soest.dataDir, 'blobs'), { recursive: true }).sort()).toEqual(blobsBefore)
    expect(soest.node.db.$client.prepare('SELECT COUNT(*) AS c FROM blobs WHERE sha256 = ?').get(hash)).toEqual({ c: 0 })
    writeFileSync(path, ARNSBERG_CSV)
  })

  it('still serves a file from a mirroring node when the publisher is stopped', async () => {
    const { body: view } = await get(arnsberg, `/api/v1/catalog/${soest.node.peerId}/strassenschaeden`)
    const hash = view.dataset.distributions[0].sha256 as string
    await waitFor(
      () => olpe.node.db.$client.prepare('SELECT 1 FROM blobs WHERE sha256 = ?').get(hash),
      "Olpe mirrored Soest's file",
      20_000
    )
    await soest.stop()
    await waitFor(() => !arnsberg.node.network!.isConnected(soest.node.peerId), 'Soest gone')
    const res = await fetch(`${arnsberg.node.url}/api/v1/catalog/${soest.node.peerId}/strassenschaeden/distributions/schadstellen/file`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(SOEST_GEOJSON)
    await soest.start()
  })

  it('answers a federated search within the deadline when a node is frozen, reporting it as timeout', async () => {
    iserlohn.child.kill('SIGSTOP')
    try {
      const t0 = Date.now()
      const { status, body } = await get(arnsberg, '/api/v1/search?q=strasse&scope=federated&timeoutMs=1500')
      const elapsed = Date.now() - t0
      expect(status).toBe(200)
      expect(elapsed).toBeLessThan(1500 + 1500) // the deadline plus local work, not a hang
      const byName = Object.fromEntries(body.nodes.map((n: any) => [n.kommune, n.status]))
      expect(byName).toMatchObject({ 'Stadt Iserlohn': 'timeout', 'Stadt Arnsberg': 'local' })
      expect(Object.values(byName).filter(s => s === 'answered').length).toBeGreaterThanOrEqual(2)
      expect(body.items.map((i: any) => i.provenance.kommune)).toEqual(expect.arrayContaining(['Stadt Soest', 'Stadt Menden (Sauerland)']))
      // Hits are deduplicated: each dataset once, however many nodes returned it.
      const keys = body.items.map((i: any) => `${i.provenance.publisher}/${i.dataset.id}`)
      expect(new Set(keys).size).toBe(keys.length)
      expect(
        body.items.find((i: any) => i.dataset.id === 'strassenschaeden' && i.provenance.kommune === 'Stadt Soest').foundAt.length
      ).toBeGreaterThanOrEqual(2)

      // Streamed, the answering nodes' lines leave before the frozen node's deadline: they arrive
      // in earlier chunks than its `timeout` line, which comes last before the merged result.
      const lines = await streamed(arnsberg, '/api/v1/search?q=strasse&scope=federated&timeoutMs=1500')
      const nodeLines = lines.filter(l => l.msg.type === 'node')
      expect(nodeLines.map(l => l.msg.node.kommune)).toHaveLength(5)
      expect(nodeLines[0]!.msg.node).toMatchObject({ kommune: 'Stadt Arnsberg', status: 'local' })
      const frozen = nodeLines.at(-1)!
      expect(frozen.msg.node).toMatchObject({ kommune: 'Stadt Iserlohn', status: 'timeout', hits: 0 })
      for (const l of nodeLines.slice(0, -1)) expect(l.chunk).toBeLessThan(frozen.chunk)
      const soestLine = nodeLines.find(l => l.msg.node.kommune === 'Stadt Soest')!.msg
      expect(soestLine.node.status).toBe('answered')
      expect(soestLine.items.map((i: any) => i.dataset.id)).toContain('strassenschaeden')
      const result = lines.at(-1)!.msg
      expect(result).toMatchObject({ type: 'result', scope: 'federated' })
      expect(result.items.map((i: any) => `${i.provenance.publisher}/${i.dataset.id}`).sort()).toEqual(keys.sort())
    } finally {
      iserlohn.child.kill('SIGCONT')
    }
  })

  it.each(['"', 'NEAR(', 'a AND (', '*', '\u0000x', 'ü'.repeat(400)])('hostile federated query %j never gives a 500', async text => {
    const res = await fetch(`${arnsberg.node.url}/api/v1/search?scope=federated&timeoutMs=1000&q=${encodeURIComponent(text)}`)
    expect([200, 400]).toContain(res.status)
  })
})
