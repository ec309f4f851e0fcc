import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

describe('CKAN 2.10 read API', () => {
  const region = new TestRegion()
  let soest: RegionNode, olpe: RegionNode
  const action = async (name: string, qs = ''): Promise<{ status: number, body: any }> => {
    const res = await fetch(`${olpe.node.url}/api/3/action/${name}${qs === '' ? '' : `?${qs}`}`)
    return { status: res.status, body: await res.json() }
  }

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    olpe = await region.addNode('Stadt Olpe', '05966024')
    await region.publish(soest, sampleDataset({ id: 'baustellen', title: 'Baustellen', keywords: ['Verkehr', 'Baustelle'], themes: ['TRAN'], license: 'dl-by-de/2.0' }))
    await fetch(`${soest.node.url}/api/v1/datasets/baustellen/distributions/liste`, { method: 'PUT', headers: { authorization: `Bearer ${soest.token}`, 'content-type': 'text/csv' }, body: 'a;b\n1;2\n' })
    await region.publish(soest, sampleDataset({ id: 'parken', title: 'Parkplätze', keywords: ['Verkehr'], themes: ['TRAN'], license: 'cc-by/4.0' }))
    await region.publish(olpe, sampleDataset({ id: 'kita', title: 'Kita-Plätze', keywords: ['Kita'], themes: ['SOCI'], license: 'dl-zero-de/2.0' }))
    await waitFor(() => region.contentHash(olpe).count === 4, 'sync to Olpe')
  })
  afterAll(async () => { await region.close() })

  it('package_search answers in CKAN\'s envelope with packages, resources and facets', async () => {
    const { status, body } = await action('package_search', `facet.field=${encodeURIComponent('["organization","tags","res_format","license_id"]')}`)
    expect(status).toBe(200)
    expect(body.success).toBe(true)
    expect(body.help).toMatch(/help_show\?name=package_search$/)
    expect(body.result.count).toBe(3)
    const pkg = body.result.results.find((p: any) => p.name === '05974040-baustellen')
    expect(pkg).toMatchObject({ title: 'Baustellen', license_id: 'dl-by-de/2.0', type: 'dataset', state: 'active', private: false, num_resources: 1, num_tags: 2 })
    expect(pkg.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(pkg.organization).toMatchObject({ name: 'stadt-soest', title: 'Stadt Soest', is_organization: true })
    expect(pkg.resources[0]).toMatchObject({ format: 'CSV', mimetype: 'text/csv', size: 8, position: 0 })
    expect(pkg.resources[0].url).toMatch(new RegExp(`/api/v1/catalog/${soest.node.peerId}/baustellen/distributions/liste/file$`))
    expect(pkg.tags.map((t: any) => t.name)).toEqual(['Verkehr', 'Baustelle'])
    expect(body.result.facets.organization).toEqual({ 'stadt-soest': 2, 'stadt-olpe': 1 })
    expect(body.result.facets.tags).toMatchObject({ Verkehr: 2, Baustelle: 1, Kita: 1 })
    expect(body.result.search_facets.res_format.items).toEqual([{ name: 'CSV', display_name: 'CSV', count: 1 }])
  })

  it('filters with q and fq, pages with rows/start and sorts', async () => {
    const names = (r: any): string[] => r.body.result.results.map((p: any) => p.name)
    expect(names(await action('package_search', 'q=Parkpl%C3%A4tze'))).toEqual(['05974040-parken'])
    expect(names(await action('package_search', 'fq=organization:stadt-olpe'))).toEqual(['05966024-kita'])
    expect(names(await action('package_search', 'fq=tags:Verkehr%20res_format:CSV'))).toEqual(['05974040-baustellen'])
    expect(names(await action('package_search', `fq=${encodeURIComponent('license_id:"cc-by/4.0"')}`))).toEqual(['05974040-parken'])
    expect((await action('package_search', `fq=${encodeURIComponent('metadata_modified:[2000-01-01T00:00:00Z TO *]')}`)).body.result.count).toBe(3)
    expect((await action('package_search', `fq=${encodeURIComponent('metadata_modified:[2999-01-01T00:00:00Z TO *]')}`)).body.result.count).toBe(0)
    const sorted = names(await action('package_search', 'sort=name%20asc'))
    expect(sorted).toEqual(['05974040-baustellen', '05966024-kita', '05974040-parken'])
    const page1 = names(await action('package_search', 'sort=name%20asc&rows=2&start=0'))
    const page2 = names(await action('package_search', 'sort=name%20asc&rows=2&start=2'))
    expect([...page1, ...page2]).toEqual(sorted)
  })

  it('package_show, package_list, organization_list, organization_show, status_show', async () => {
    const byName = (await action('package_show', 'id=05966024-kita')).body.result
    expect(byName.title).toBe('Kita-Plätze')
    expect((await action('package_show', `id=${byName.id}`)).body.result.name).toBe('05966024-kita')
    expect((await action('package_list')).body.result).toEqual(['05966024-kita', '05974040-baustellen', '05974040-parken'])
    expect((await action('organization_list')).body.result).toEqual(['stadt-olpe', 'stadt-soest'])
    const all = (await action('organization_list', 'all_fields=true')).body.result
    expect(all.map((o: any) => [o.name, o.package_count])).toEqual([['stadt-olpe', 1], ['stadt-soest', 2]])
    expect((await action('organization_show', 'id=stadt-soest')).body.result).toMatchObject({ title: 'Stadt Soest', package_count: 2 })
    expect((await action('status_show')).body.result).toMatchObject({ ckan_version: '2.10.4', locale_default: 'de' })
  })

  it('answers errors as CKAN does', async () => {
    const missing = await action('package_show', 'id=gibt-es-nicht')
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ success: false, error: { __type: 'Not Found Error' } })
    const rows = await action('package_search', 'rows=5000')
    expect(rows.status).toBe(409)
    expect(rows.body).toMatchObject({ success: false, error: { __type: 'Validation Error', rows: [expect.stringMatching(/0 to 1000/)] } })
    expect((await action('package_search', 'sort=random')).status).toBe(409)
    expect((await action('package_search', 'fq=author:x')).status).toBe(409)
    expect((await action('package_search', 'facet.field=organization')).status).toBe(409)
    expect((await action('package_search', `q=${encodeURIComponent('"NEAR( *')}`)).status).toBe(200)
    const unknown = await action('package_delete')
    expect(unknown.status).toBe(400)
    expect(unknown.body.success).toBe(false)
  })
})
