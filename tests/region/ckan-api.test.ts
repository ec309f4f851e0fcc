import { get } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

/** `requests.get(url)` as the harvester calls it: no session, so a new connection for every request. */
const harvesterGet = async (url: string): Promise<{ status: number; body: any }> =>
  new Promise((resolve, reject) => {
    get(url, { agent: false, headers: { 'user-agent': 'python-requests/2.31.0' } }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) })
      })
      res.on('error', reject)
    }).on('error', reject)
  })

describe('CKAN 2.10 read API', () => {
  const region = new TestRegion()
  let soest: RegionNode, olpe: RegionNode
  const action = async (name: string, qs = ''): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${olpe.node.url}/api/3/action/${name}${qs === '' ? '' : `?${qs}`}`)
    return { status: res.status, body: await res.json() }
  }

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    olpe = await region.addNode('Stadt Olpe', '05966024')
    await region.publish(
      soest,
      sampleDataset({
        id: 'baustellen',
        title: 'Baustellen',
        keywords: ['Verkehr', 'Baustelle'],
        themes: ['TRAN'],
        license: 'dl-by-de/2.0'
      })
    )
    await fetch(`${soest.node.url}/api/v1/datasets/baustellen/distributions/liste`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${soest.token}`, 'content-type': 'text/csv' },
      body: 'a;b\n1;2\n'
    })
    await region.publish(
      soest,
      sampleDataset({ id: 'parken', title: 'Parkplätze', keywords: ['Verkehr'], themes: ['TRAN'], license: 'cc-by/4.0' })
    )
    await region.publish(
      olpe,
      sampleDataset({ id: 'kita', title: 'Kita-Plätze', keywords: ['Kita'], themes: ['SOCI'], license: 'dl-zero-de/2.0' })
    )
    await waitFor(() => region.contentHash(olpe).count === 4, 'sync to Olpe')
  })
  afterAll(async () => {
    await region.close()
  })

  it("package_search answers in CKAN's envelope with packages, resources and facets", async () => {
    const { status, body } = await action(
      'package_search',
      `facet.field=${encodeURIComponent('["organization","tags","res_format","license_id"]')}`
    )
    expect(status).toBe(200)
    expect(body.success).toBe(true)
    expect(body.help).toMatch(/help_show\?name=package_search$/)
    expect(body.result.count).toBe(3)
    const pkg = body.result.results.find((p: any) => p.name === '05974040-baustellen')
    expect(pkg).toMatchObject({
      title: 'Baustellen',
      license_id: 'dl-by-de/2.0',
      type: 'dataset',
      state: 'active',
      private: false,
      num_resources: 1,
      num_tags: 2
    })
    expect(pkg.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(pkg.organization).toMatchObject({ name: 'stadt-soest', title: 'Stadt Soest', is_organization: true })
    expect(pkg.resources[0]).toMatchObject({ format: 'CSV', mimetype: 'text/csv', size: 8, position: 0 })
    expect(pkg.resources[0].url).toMatch(new RegExp(`/api/v1/catalog/${soest.node.peerId}/baustellen/distributions/liste/[^/]+\\.csv$`))
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
    expect(
      (await action('package_search', `fq=${encodeURIComponent('metadata_modified:[2000-01-01T00:00:00Z TO *]')}`)).body.result.count
    ).toBe(3)
    expect(
      (await action('package_search', `fq=${encodeURIComponent('metadata_modified:[2999-01-01T00:00:00Z TO *]')}`)).body.result.count
    ).toBe(0)
    const sorted = names(await action('package_search', 'sort=name%20asc'))
    // CKAN sorts by the package name (AGS-prefixed here), not by the dataset id.
    expect(sorted).toEqual(['05966024-kita', '05974040-baustellen', '05974040-parken'])
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
    expect(all.map((o: any) => [o.name, o.package_count])).toEqual([
      ['stadt-olpe', 1],
      ['stadt-soest', 2]
    ])
    expect((await action('organization_show', 'id=stadt-soest')).body.result).toMatchObject({ title: 'Stadt Soest', package_count: 2 })
    expect((await action('status_show')).body.result).toMatchObject({ ckan_version: '2.10.4', locale_default: 'de' })
  })

  it('answers errors as CKAN does', async () => {
    const missing = await action('package_show', 'id=gibt-es-nicht')
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ success: false, error: { __type: 'Not Found Error' } })
    const rows = await action('package_search', 'rows=-1')
    expect(rows.status).toBe(409)
    expect(rows.body).toMatchObject({ success: false, error: { __type: 'Validation Error', rows: [expect.stringMatching(/integer/)] } })
    const sort = await action('package_search', 'sort=random')
    expect(sort.status).toBe(409)
    expect(sort.body.error.sort[0]).toMatch(/random/)
    expect((await action('package_search', 'sort=name%20sideways')).status).toBe(409)
    expect((await action('package_search', `fq=${encodeURIComponent('metadata_modified:[gestern TO *]')}`)).body.error.fq[0]).toMatch(
      /gestern/
    )
    expect((await action('package_search', 'fq=Verkehr')).body.error.fq[0]).toMatch(/names no field/)
    expect((await action('package_search', 'fq=author:x')).status).toBe(409)
    expect((await action('package_search', 'facet.field=organization')).status).toBe(409)
    expect((await action('package_search', `q=${encodeURIComponent('"NEAR( *')}`)).status).toBe(200)
    const unknown = await action('package_delete')
    expect(unknown.status).toBe(400)
    expect(unknown.body.success).toBe(false)
    const badJson = await fetch(`${olpe.node.url}/api/action/package_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"q": '
    })
    expect(badJson.status).toBe(400)
    expect(((await badJson.json()) as any).error.message).toMatch(/not valid JSON/)
    const nested = await fetch(`${olpe.node.url}/api/action/package_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"q": {"a": 1}}'
    })
    expect(nested.status).toBe(409)
    expect(((await nested.json()) as any).error.q[0]).toMatch(/string/)
    const big = await fetch(`${olpe.node.url}/api/action/package_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ q: 'x'.repeat(100_000) })
    })
    expect(big.status).toBe(413)
  })

  it("answers ckanapi's call: POST /api/action/<name> with a JSON body, and forms, under both prefixes", async () => {
    // ckanapi's RemoteCKAN.call_action: POST, Content-Type application/json, parameters as JSON values.
    const post = async (path: string, body: string, type: string): Promise<any> => {
      const res = await fetch(`${olpe.node.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': type, 'user-agent': 'ckanapi/4.7 (+https://github.com/ckan/ckanapi)' },
        body
      })
      expect(res.status).toBe(200)
      return ((await res.json()) as any).result
    }
    const json = await post(
      '/api/action/package_search',
      JSON.stringify({ q: 'Verkehr', rows: 1, start: 0, 'facet.field': ['organization'], sort: 'name asc' }),
      'application/json'
    )
    expect(json.count).toBe(2)
    expect(json.results.map((p: any) => p.name)).toEqual(['05974040-baustellen'])
    expect(json.facets.organization).toEqual({ 'stadt-soest': 2 })
    expect((await post('/api/3/action/package_show', JSON.stringify({ id: '05966024-kita' }), 'application/json')).title).toBe(
      'Kita-Plätze'
    )
    expect(
      (await post('/api/action/organization_list', JSON.stringify({ all_fields: true }), 'application/json')).map(
        (o: any) => o.package_count
      )
    ).toEqual([1, 2])
    expect((await post('/api/3/action/package_search', 'fq=tags%3AKita', 'application/x-www-form-urlencoded')).count).toBe(1)
    const form = new FormData()
    form.set('id', 'stadt-olpe')
    const multipart = await fetch(`${olpe.node.url}/api/action/organization_show`, { method: 'POST', body: form })
    expect(((await multipart.json()) as any).result.package_count).toBe(1)
    const get = await fetch(`${olpe.node.url}/api/action/package_list`)
    expect(((await get.json()) as any).result).toHaveLength(3)
  })

  it("speaks CKAN's sort syntax, caps rows at 1000, and understands fielded q, negation, OR lists and date math", async () => {
    const search = async (params: Record<string, string>): Promise<any> => {
      const res = await fetch(`${olpe.node.url}/api/3/action/package_search?${new URLSearchParams(params).toString()}`)
      const body = (await res.json()) as any
      expect(res.status, JSON.stringify(body)).toBe(200)
      return body.result
    }
    const names = (r: any): string[] => r.results.map((p: any) => p.name)
    const all = await search({ rows: '100' })
    const ids = all.results.map((p: any) => p.id)
    expect((await search({ sort: 'id asc' })).results.map((p: any) => p.id)).toEqual([...ids].sort())
    expect((await search({ sort: 'id desc' })).results.map((p: any) => p.id)).toEqual([...ids].sort().reverse())
    expect(names(await search({ sort: 'title_string asc' }))).toEqual(['05974040-baustellen', '05966024-kita', '05974040-parken'])
    expect(names(await search({ sort: 'title_string desc' }))).toEqual(['05974040-parken', '05966024-kita', '05974040-baustellen'])
    const byModified = (await search({ sort: 'metadata_modified desc' })).results.map((p: any) => p.metadata_modified)
    expect(byModified).toEqual([...byModified].sort().reverse())
    expect((await search({ sort: 'metadata_modified asc' })).results.map((p: any) => p.metadata_modified)).toEqual([...byModified].sort())
    expect((await search({ q: 'Verkehr', sort: 'score desc, metadata_modified desc' })).count).toBe(2)
    expect((await search({ sort: 'metadata_created desc, name asc' })).count).toBe(3)
    const capped = await search({ rows: '5000' })
    expect(capped.count).toBe(3)
    expect(capped.results).toHaveLength(3)

    expect(names(await search({ q: 'title:Parkplätze' }))).toEqual(['05974040-parken'])
    expect(names(await search({ q: 'title:Verkehr' }))).toEqual([])
    expect(names(await search({ q: 'tags:Kita' }))).toEqual(['05966024-kita'])
    expect(names(await search({ q: 'notes:Arnsberg title:Baustellen' }))).toEqual(['05974040-baustellen'])
    expect(names(await search({ q: 'organization:stadt-olpe' }))).toEqual(['05966024-kita'])
    expect(names(await search({ fq: '-tags:Verkehr' }))).toEqual(['05966024-kita'])
    expect(names(await search({ fq: '-organization:stadt-soest' }))).toEqual(['05966024-kita'])
    expect((await search({ fq: 'organization:stadt-olpe OR organization:stadt-soest' })).count).toBe(3)
    expect((await search({ fq: 'groups:tran +dataset_type:dataset' })).count).toBe(2)
    expect((await search({ fq: 'license_id:(cc-by/4.0 OR dl-zero-de/2.0)' })).count).toBe(2)
    expect((await search({ fq: 'metadata_modified:[NOW-1DAY TO NOW]' })).count).toBe(3)
    expect((await search({ fq: 'metadata_modified:[NOW/DAY-7DAYS TO *]' })).count).toBe(3)
    expect((await search({ fq: 'metadata_modified:[* TO NOW-1DAY]' })).count).toBe(0)
    expect((await search({ fq: 'metadata_modified:[NOW+1HOUR TO *]' })).count).toBe(0)
  })

  it('group_list, group_show, tag_list and license_list', async () => {
    const groups = (await action('group_list')).body.result
    expect(groups).toContain('tran')
    expect(groups).toHaveLength(13)
    const tran = (await action('group_list', 'all_fields=true')).body.result.find((g: any) => g.name === 'tran')
    expect(tran).toMatchObject({ title: 'Verkehr', package_count: 2, is_organization: false })
    expect((await action('group_show', 'id=soci')).body.result).toMatchObject({ name: 'soci', package_count: 1 })
    expect((await action('group_show', 'id=nix')).status).toBe(404)
    expect((await action('tag_list')).body.result).toEqual(['Baustelle', 'Kita', 'Verkehr'])
    expect((await action('tag_list', 'query=ver')).body.result).toEqual(['Verkehr'])
    const licenses = (await action('license_list')).body.result
    expect(licenses.find((l: any) => l.id === 'dl-by-de/2.0')).toMatchObject({
      title: 'Datenlizenz Deutschland – Namensnennung – 2.0',
      url: expect.stringMatching(/^http/),
      od_conformance: 'approved'
    })
  })

  it('ckanext-harvest gathers everything, then incrementally every change after T: updates and late-synced datasets', async () => {
    // The CKAN harvester's gather stage (ckanharvester.py _search_for_datasets): GET package_search with
    // rows=100&start=0&sort=id asc (urlencoded), start += rows until an empty page; incremental runs add
    // fq=metadata_modified:[<gather_started - 1h, isoformat with microseconds>Z TO *].
    const gather = async (url: string, fqTerms: string[]): Promise<any[]> => {
      const params: Record<string, string> = { rows: '100', start: '0', sort: 'id asc' }
      if (fqTerms.length > 0) params.fq = fqTerms.join(' ')
      const out: any[] = []
      for (;;) {
        const res = await harvesterGet(`${url}/api/3/action/package_search?${new URLSearchParams(params).toString()}`)
        expect(res.status).toBe(200)
        const page = res.body.result.results
        if (page.length === 0) return out
        out.push(...page)
        params.start = String(Number(params.start) + Number(params.rows))
      }
    }
    const python = (d: Date): string =>
      d
        .toISOString()
        .replace('Z', '')
        .replace(/\.(\d{3})$/, '.$1456') // datetime.isoformat()
    const full = await gather(olpe.node.url, [])
    expect(full.map(p => p.name).sort()).toEqual(['05966024-kita', '05974040-baustellen', '05974040-parken'])
    // The fetch and import stages read each package and its organization.
    for (const p of full) {
      const org = await action('organization_show', `id=${p.organization.name}`)
      expect(org.body.result.id).toBe(p.owner_org)
    }
    const filtered = await gather(olpe.node.url, ['-organization:stadt-olpe'])
    expect(filtered.map(p => p.name).sort()).toEqual(['05974040-baustellen', '05974040-parken'])

    const t = new Date()
    await new Promise(resolve => setTimeout(resolve, 5))
    // A dataset Soest signed before T reaches a node that joins after T: that node stored it after T.
    const menden = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    await waitFor(() => region.contentHash(menden).count === 4, 'sync to Menden')
    await soest.api('/api/v1/datasets/parken', {
      method: 'PUT',
      body: JSON.stringify(
        sampleDataset({ id: 'parken', title: 'Parkplätze und Parkhäuser', keywords: ['Verkehr'], themes: ['TRAN'], license: 'cc-by/4.0' })
      )
    })
    await waitFor(() => region.contentHash(olpe).count === 5 && region.contentHash(menden).count === 5, 'update synced')
    const sinceT = `metadata_modified:[${python(t)}Z TO *]`
    const onOlpe = await gather(olpe.node.url, [sinceT])
    expect(onOlpe.map(p => p.name)).toEqual(['05974040-parken'])
    expect(onOlpe[0].title).toBe('Parkplätze und Parkhäuser')
    const onMenden = await gather(menden.node.url, [sinceT])
    expect(onMenden.map(p => p.name).sort()).toEqual(['05966024-kita', '05974040-baustellen', '05974040-parken'])
    // The filter and the field mean the same time: exactly those packages whose metadata_modified is ≥ T.
    for (const node of [olpe, menden]) {
      const everything = await gather(node.node.url, [])
      const expected = everything
        .filter(p => `${p.metadata_modified}Z` >= python(t) + 'Z')
        .map(p => p.id)
        .sort()
      expect((await gather(node.node.url, [sinceT])).map(p => p.id).sort()).toEqual(expected)
    }
  })
})
