import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_USE_CASE_IMAGE_BYTES } from '@swf/protocol'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// Use cases are entries like datasets: signed, synced, relayed, tombstoned.
// A take-over is a Kommune's own entry naming its own datasets for the
// original's roles.

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3e2b1a40000000049454e44ae426082',
  'hex'
)

describe('use cases shared and taken over (3 nodes)', () => {
  const region = new TestRegion()
  let arnsberg: RegionNode, menden: RegionNode, soest: RegionNode

  const raw = async (n: RegionNode, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> => {
    const headers = new Headers(init.headers)
    headers.set('authorization', `Bearer ${n.token}`)
    if (typeof init.body === 'string' && !headers.has('content-type')) headers.set('content-type', 'application/json')
    const res = await fetch(`${n.node.url}${path}`, { ...init, headers })
    return { status: res.status, body: await res.json() }
  }
  const headOf = (n: RegionNode): number => n.node.catalog.head().seq
  const APP = {
    id: 'radrouten-app',
    title: 'Radrouten-App Arnsberg',
    description: 'Eine App, die die ausgeschilderten Radrouten mit Belag und Steigung zeigt.',
    problem: 'Radfahrende finden die Routen des Radverkehrsnetzes NRW nicht in gängigen Apps.',
    status: 'in-operation',
    needs: { themes: ['TRAN'], formats: ['GEOJSON'], schema: 'LineString je Route; name, belag, laenge_km' },
    links: [{ kind: 'source', url: 'https://git.example/arnsberg/radrouten-app' }],
    softwareLicense: 'EUPL-1.2'
  }

  beforeAll(async () => {
    await region.startRegistry()
    const nodes = await region.addFullMesh([
      ['Stadt Arnsberg', '05958004'],
      ['Stadt Menden (Sauerland)', '05962040'],
      ['Stadt Soest', '05974040']
    ])
    ;[arnsberg, menden, soest] = [nodes[0]!, nodes[1]!, nodes[2]!]
    await region.publish(arnsberg, sampleDataset({ id: 'radrouten', title: 'Radrouten Arnsberg', themes: ['TRAN'] }))
    await raw(arnsberg, '/api/v1/datasets/radrouten/distributions/netz?title=netz.geojson', {
      method: 'PUT',
      headers: { 'content-type': 'application/geo+json' },
      body: '{"type":"FeatureCollection","features":[]}'
    })
    await region.publish(menden, sampleDataset({ id: 'radwege-menden', title: 'Radwege Menden', themes: ['TRAN'] }))
    await raw(menden, '/api/v1/datasets/radwege-menden/distributions/netz?title=netz.geojson', {
      method: 'PUT',
      headers: { 'content-type': 'application/geo+json' },
      body: '{"type":"FeatureCollection","features":[]}'
    })
    await region.publish(menden, sampleDataset({ id: 'kita', title: 'Kitas Menden', themes: ['EDUC'] }))
  })
  afterAll(async () => {
    await region.close()
  })

  it('publishes a use case that every node finds, its datasets resolved and a dangling one flagged', async () => {
    const created = await raw(arnsberg, '/api/v1/use-cases', {
      method: 'POST',
      body: JSON.stringify({
        ...APP,
        datasets: [
          { role: 'Radrouten', publisher: arnsberg.node.peerId, datasetId: 'radrouten' },
          { role: 'Baustellen', publisher: soest.node.peerId, datasetId: 'gibt-es-nicht' }
        ]
      })
    })
    expect(created.status).toBe(201)
    expect(created.body.entry.seq).toBe(headOf(arnsberg))
    const seen = await waitFor(async () => {
      const r = await raw(soest, `/api/v1/use-cases?q=radrouten`)
      return r.body.total === 1 ? r.body.items[0] : undefined
    }, 'the use case at Soest')
    expect(seen).toMatchObject({ publisher: arnsberg.node.peerId, kommune: 'Stadt Arnsberg' })
    expect(seen.datasets).toEqual([
      expect.objectContaining({ role: 'Radrouten', title: 'Radrouten Arnsberg', dangling: false }),
      expect.objectContaining({ role: 'Baustellen', title: null, dangling: true })
    ])
    const byDataset = await raw(soest, `/api/v1/use-cases?dataset=${arnsberg.node.peerId}/radrouten`)
    expect(byDataset.body.items.map((u: any) => u.useCase.id)).toEqual(['radrouten-app'])
    // One id space per Kommune: a use case cannot take a dataset's id.
    const clash = await raw(arnsberg, '/api/v1/use-cases', { method: 'POST', body: JSON.stringify({ ...APP, id: 'radrouten' }) })
    expect(clash.status).toBe(409)
  })

  it("suggests a Kommune's own datasets for each role, and names what is missing", async () => {
    await waitFor(() => region.datasetIds(menden, arnsberg.node.peerId).includes('radrouten'), "Arnsberg's dataset at Menden")
    const fit = await raw(menden, `/api/v1/use-cases/${arnsberg.node.peerId}/radrouten-app/fit?kommune=05962040`)
    expect(fit.status).toBe(200)
    const radrouten = fit.body.roles.find((r: any) => r.role === 'Radrouten')
    expect(radrouten.candidates.map((c: any) => c.datasetId)).toEqual(['radwege-menden'])
    expect(radrouten.candidates[0].matches).toEqual(expect.arrayContaining(['theme:TRAN', 'format:GEOJSON']))
    const forSoest = await raw(menden, `/api/v1/use-cases/${arnsberg.node.peerId}/radrouten-app/fit?kommune=${soest.node.peerId}`)
    expect(forSoest.body.roles.every((r: any) => r.missing)).toBe(true)
  })

  it("takes over with the Kommune's own datasets; another Kommune's dataset or an unknown role is refused and nothing is signed", async () => {
    const before = headOf(menden)
    /** Menden's take-over of Arnsberg's app, naming one dataset for one role. */
    const takeOver = async (role: string, publisher: string, datasetId: string): Promise<{ status: number; body: any }> =>
      raw(menden, '/api/v1/use-cases', {
        method: 'POST',
        body: JSON.stringify({
          ...APP,
          status: 'pilot',
          takesOver: { publisher: arnsberg.node.peerId, useCaseId: 'radrouten-app' },
          datasets: [{ role, publisher, datasetId }]
        })
      })
    const theirs = await takeOver('Radrouten', arnsberg.node.peerId, 'radrouten')
    expect(theirs.status).toBe(400)
    expect(theirs.body.error).toMatchObject({ code: 'validation_failed', field: 'datasets.0.publisher' })
    expect(theirs.body.error.message).toContain('Stadt Arnsberg')
    const role = await takeOver('Parkplätze', menden.node.peerId, 'radwege-menden')
    expect(role.body.error.field).toBe('datasets.0.role')
    expect(headOf(menden)).toBe(before)
    const taken = await takeOver('Radrouten', menden.node.peerId, 'radwege-menden')
    expect(taken.status).toBe(201)
    const original = await waitFor(async () => {
      const r = await raw(soest, `/api/v1/use-cases/${arnsberg.node.peerId}/radrouten-app`)
      return r.body.takenOverBy?.length === 1 ? r.body : undefined
    }, 'the take-over at Soest')
    expect(original.takenOverBy[0]).toMatchObject({ kommune: 'Stadt Menden (Sauerland)', status: 'pilot' })
    expect(original.takenOverBy[0].datasets[0]).toMatchObject({ datasetId: 'radwege-menden', dangling: false })
  })

  it('takes images up to 2 MB (a larger one is refused with 413, nothing stored) and serves them through any node', async () => {
    const before = headOf(arnsberg)
    const big = await raw(arnsberg, '/api/v1/use-cases/radrouten-app/images?title=Karte', {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: Buffer.alloc(MAX_USE_CASE_IMAGE_BYTES + 1)
    })
    expect(big.status).toBe(413)
    expect(headOf(arnsberg)).toBe(before)
    const wrongType = await raw(arnsberg, '/api/v1/use-cases/radrouten-app/images?title=Karte', {
      method: 'PUT',
      headers: { 'content-type': 'image/gif' },
      body: PNG
    })
    expect(wrongType.status).toBe(400)
    const ok = await raw(arnsberg, '/api/v1/use-cases/radrouten-app/images?title=Startbildschirm', {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: PNG
    })
    expect(ok.status).toBe(201)
    const image = await waitFor(async () => {
      const res = await fetch(`${soest.node.url}/api/v1/use-cases/${arnsberg.node.peerId}/radrouten-app/images/1`)
      return res.status === 200 ? res : undefined
    }, 'the image through Soest')
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true)
  })

  it("answers ckanext-showcase's actions: use cases as showcases, with their packages", async () => {
    const ckan = async (action: string, body?: Record<string, string>): Promise<any> => {
      const res = await fetch(`${soest.node.url}/api/3/action/${action}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      })
      const json: any = await res.json()
      expect(json.success).toBe(true)
      return json.result
    }
    const list = await ckan('ckanext_showcase_list')
    expect(list.map((s: any) => s.name).sort()).toEqual(['05958004-radrouten-app', '05962040-radrouten-app'])
    expect(list.every((s: any) => s.type === 'showcase')).toBe(true)
    // ckanapi's way: POST with a JSON body.
    const show = await ckan('ckanext_showcase_show', { id: '05958004-radrouten-app' })
    expect(show).toMatchObject({ title: 'Radrouten-App Arnsberg', url: 'https://git.example/arnsberg/radrouten-app' })
    expect(show.image_url).toBe(`${soest.node.url}/api/v1/use-cases/${arnsberg.node.peerId}/radrouten-app/images/1`)
    const packages = await ckan('ckanext_showcase_package_list', { showcase_id: show.id })
    expect(packages.map((p: any) => p.name)).toEqual(['05958004-radrouten'])
    const showcases = await ckan('ckanext_package_showcase_list', { package_id: '05962040-radwege-menden' })
    expect(showcases.map((s: any) => s.name)).toEqual(['05962040-radrouten-app'])
    expect(showcases[0].extras).toContainEqual({ key: 'takes_over', value: `${arnsberg.node.peerId}/radrouten-app` })
  })

  it('deletes with a tombstone: gone everywhere, and the take-over names its original as dangling', async () => {
    const gone = await raw(arnsberg, '/api/v1/use-cases/radrouten-app', { method: 'DELETE' })
    expect(gone.status).toBe(200)
    expect(gone.body.entry.tombstone).toBe(true)
    await waitFor(
      async () => (await raw(soest, `/api/v1/use-cases/${arnsberg.node.peerId}/radrouten-app`)).status === 404,
      'the tombstone at Soest'
    )
    const take = await raw(soest, `/api/v1/use-cases/${menden.node.peerId}/radrouten-app`)
    expect(take.body.takesOver).toMatchObject({ kommune: 'Stadt Arnsberg', dangling: true })
  })
})
