import { searchQuerySchema, type SearchQuery } from '../../../protocol/src/index.js'
import type { NodeDb } from '../db/open.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { SearchService } from '../services/search-service.js'
import { organizationDict, organizationName, packageDict, packageName, uuidOf, type Organization } from './packages.js'

/** CKAN answers validation errors with 409 and {success: false, error}. */
export class CkanError extends Error {
  override readonly name = 'CkanError'
  constructor (readonly status: 400 | 404 | 409, readonly type: 'Validation Error' | 'Not Found Error', message: string, readonly field?: string) {
    super(message)
  }
}

const SORTS = {
  'score desc, metadata_modified desc': 'score',
  'score desc': 'score',
  'metadata_modified desc': 'modified',
  'title_string asc': 'title',
  'name asc': 'name'
} as const

const FACET_FIELDS = { organization: 'publisher', tags: 'keyword', res_format: 'format', license_id: 'license', groups: 'theme' } as const

export interface PackageSearchParams {
  q?: string
  fq?: string
  rows?: string
  start?: string
  sort?: string
  'facet.field'?: string
  'facet.limit'?: string
}

/**
 * The CKAN 2.10 read API over the regional catalog, so CKAN clients and
 * ckanext-harvest can read a node: package_search, package_show,
 * package_list, organization_list, organization_show, status_show.
 */
export class CkanApi {
  constructor (
    private readonly db: NodeDb,
    private readonly search: SearchService,
    private readonly regional: RegionalCatalog,
    private readonly organizations: () => Organization[],
    private readonly downloadUrl: (publisher: string, datasetId: string, distId: string) => string
  ) {}

  packageSearch (p: PackageSearchParams): Record<string, unknown> {
    const rows = intParam(p.rows, 'rows', 10, 0, 1000)
    const start = intParam(p.start, 'start', 0, 0, 1_000_000)
    const sortKey = (p.sort ?? 'score desc, metadata_modified desc').trim().replace(/\s+/g, ' ')
    const order = SORTS[sortKey as keyof typeof SORTS]
    if (order === undefined) throw new CkanError(409, 'Validation Error', `sort must be one of: ${Object.keys(SORTS).join('; ')}`, 'sort')
    const query = this.#query(p.q, p.fq)
    const { rows: hits, total } = this.search.page(query, start, rows, order)
    const orgs = this.#orgsByPeer()
    const facetFields = parseFacetFields(p['facet.field'])
    const facetLimit = intParam(p['facet.limit'], 'facet.limit', 50, -1, 1000)
    const facets: Record<string, Record<string, number>> = {}
    const searchFacets: Record<string, unknown> = {}
    for (const field of facetFields) {
      const counts = this.search.facet(query, FACET_FIELDS[field], facetLimit < 0 ? 1000 : facetLimit)
      const named = counts.map(c => ({ name: field === 'organization' ? orgs.get(c.value)?.name ?? c.value : field === 'groups' ? c.value.toLowerCase() : c.value, count: c.count, label: field === 'organization' ? orgs.get(c.value)?.title : undefined }))
      facets[field] = Object.fromEntries(named.map(n => [n.name, n.count]))
      searchFacets[field] = { title: field, items: named.map(n => ({ name: n.name, display_name: n.label ?? n.name, count: n.count })) }
    }
    return {
      count: total,
      facets,
      search_facets: searchFacets,
      results: hits.map(h => this.#package(h, orgs)),
      sort: sortKey
    }
  }

  packageShow (id: string | undefined): Record<string, unknown> {
    if (id === undefined || id === '') throw new CkanError(409, 'Validation Error', 'Missing value', 'id')
    const key = this.#resolvePackage(id)
    const orgs = this.#orgsByPeer()
    const hit = this.search.page({ ...emptyQuery(), publisher: [key.publisher] }, 0, 1000, 'name').rows.find(h => h.dataset.id === key.datasetId)
    if (hit === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    return this.#package(hit, orgs)
  }

  packageList (limit?: string, offset?: string): string[] {
    const n = intParam(limit, 'limit', 100_000, 1, 100_000)
    const o = intParam(offset, 'offset', 0, 0, 10_000_000)
    const agsOf = new Map(this.organizations().map(org => [org.peerId, org.ags]))
    const rows = this.db.$client.prepare('SELECT publisher, dataset_id FROM datasets WHERE tombstone = 0 ORDER BY publisher, dataset_id LIMIT ? OFFSET ?').all(n, o) as Array<{ publisher: string, dataset_id: string }>
    return rows.map(r => packageName(agsOf.get(r.publisher) ?? null, r.dataset_id)).sort()
  }

  organizationList (allFields: boolean): unknown[] {
    const counts = new Map(this.search.facet(emptyQuery(), 'publisher', 10_000).map(c => [c.value, c.count]))
    const orgs = this.organizations().sort((a, b) => a.name.localeCompare(b.name))
    return allFields ? orgs.map(o => organizationDict(o, counts.get(o.peerId) ?? 0)) : orgs.map(o => o.name)
  }

  organizationShow (id: string | undefined): Record<string, unknown> {
    if (id === undefined || id === '') throw new CkanError(409, 'Validation Error', 'Missing value', 'id')
    const org = this.organizations().find(o => o.name === id || o.peerId === id || o.ags === id || uuidOf(`org:${o.peerId}`) === id)
    if (org === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    const count = this.search.facet({ ...emptyQuery(), publisher: [org.peerId] }, 'publisher').at(0)?.count ?? 0
    return organizationDict(org, count)
  }

  #package (hit: Parameters<typeof packageDict>[0], orgs: Map<string, Organization>): Record<string, unknown> {
    const org = orgs.get(hit.provenance.publisher) ?? { peerId: hit.provenance.publisher, name: hit.provenance.publisher.toLowerCase(), title: hit.provenance.kommune ?? hit.provenance.publisher, ags: null }
    return packageDict(hit, org, dist => this.downloadUrl(hit.provenance.publisher, hit.dataset.id, dist))
  }

  #orgsByPeer (): Map<string, Organization> {
    return new Map(this.organizations().map(o => [o.peerId, o]))
  }

  #resolvePackage (id: string): { publisher: string, datasetId: string } {
    const m = /^(\d{8})-(.+)$/.exec(id)
    if (m !== null) {
      const org = this.organizations().find(o => o.ags === m[1])
      if (org !== undefined) return { publisher: org.peerId, datasetId: m[2]! }
    }
    const rows = this.db.$client.prepare('SELECT publisher, dataset_id FROM datasets WHERE tombstone = 0').all() as Array<{ publisher: string, dataset_id: string }>
    const hit = rows.find(r => uuidOf(`pkg:${r.publisher}/${r.dataset_id}`) === id)
    if (hit === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    return { publisher: hit.publisher, datasetId: hit.dataset_id }
  }

  /** CKAN q and the supported fq fields (Solr-like) → our search query. */
  #query (q: string | undefined, fq: string | undefined): SearchQuery {
    const raw: Record<string, unknown> = { limit: 100 }
    if (q !== undefined && q.trim() !== '' && q.trim() !== '*:*') raw.q = q.slice(0, 500)
    const add = (key: string, value: string): void => { raw[key] = [...(raw[key] as string[] | undefined ?? []), value] }
    const orgs = this.organizations()
    for (const m of (fq ?? '').matchAll(/(\S*?):("([^"]*)"|\[([^\]]*)\]|(\S+))/g)) {
      const field = m[1]!.replace(/^\+/, '')
      const value = m[3] ?? m[4] ?? m[5] ?? ''
      if (field.startsWith('-')) throw new CkanError(409, 'Validation Error', 'negated fq clauses are not supported', 'fq')
      if (field === 'organization') add('publisher', orgs.find(o => o.name === value)?.peerId ?? '12D3KooW' + '1'.repeat(44))
      else if (field === 'tags') add('keyword', value)
      else if (field === 'res_format') add('format', value.toUpperCase())
      else if (field === 'license_id') add('license', value)
      else if (field === 'groups') add('theme', value.toUpperCase())
      else if (field === 'metadata_modified') {
        const from = /^(\S+)\s+TO\s+\S+$/.exec(value)?.[1]
        if (from === undefined) throw new CkanError(409, 'Validation Error', 'metadata_modified takes a range [FROM TO *]', 'fq')
        if (from !== '*') raw.modifiedSince = from.replace(/\.\d+Z$/, 'Z')
      } else {
        throw new CkanError(409, 'Validation Error', `fq field "${field}" is not supported (organization, tags, res_format, license_id, groups, metadata_modified)`, 'fq')
      }
    }
    const r = searchQuerySchema.safeParse(raw)
    if (!r.success) throw new CkanError(409, 'Validation Error', `${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`, 'fq')
    return r.data
  }
}

const emptyQuery = (): SearchQuery => ({ limit: 100 })

function intParam (v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === '') return dflt
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new CkanError(409, 'Validation Error', `${name} must be an integer from ${min} to ${max}`, name)
  return Number(v)
}

function parseFacetFields (v: string | undefined): Array<keyof typeof FACET_FIELDS> {
  if (v === undefined || v === '') return []
  let list: unknown
  try {
    list = JSON.parse(v)
  } catch {
    throw new CkanError(409, 'Validation Error', 'facet.field must be a JSON list, e.g. ["organization","tags"]', 'facet.field')
  }
  if (!Array.isArray(list) || list.some(f => typeof f !== 'string' || !(f in FACET_FIELDS))) {
    throw new CkanError(409, 'Validation Error', `facet.field supports ${Object.keys(FACET_FIELDS).join(', ')}`, 'facet.field')
  }
  return list as Array<keyof typeof FACET_FIELDS>
}

export { organizationName }
