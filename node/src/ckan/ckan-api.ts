import { DATA_THEMES, LICENSES, licenseUri, type DatasetMetadata } from '@swf/protocol'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { ListFilter, SearchService } from '../services/search-service.js'
import { LICENSE_LABELS, THEME_LABELS } from '../vocabulary-labels.js'
import { CkanError } from './ckan-error.js'
import { parseFilter, parseSort } from './solr-syntax.js'
import {
  OPEN_LICENSES,
  organizationDict,
  organizationName,
  packageDict,
  packageName,
  showcaseDict,
  uuidOf,
  type Organization,
  type ShowcaseSource
} from './packages.js'

/** CKAN caps rows at ckan.search.rows_max (default 1000) instead of refusing more. */
export const MAX_ROWS = 1000

const ORDER_KEYS = {
  score: 'score',
  metadata_modified: 'received',
  metadata_created: 'created',
  title_string: 'title',
  name: 'name',
  id: 'id'
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

/** The use cases a node holds, as the showcase actions read them. */
export interface ShowcaseSources {
  all: () => ShowcaseSource[]
  get: (publisher: string, id: string) => ShowcaseSource | undefined
  usingDataset: (publisher: string, datasetId: string) => ShowcaseSource[]
}

/**
 * The CKAN 2.10 read API over the regional catalog, so CKAN clients and
 * ckanext-harvest can read a node: package_search, package_show,
 * package_list, organization_list, organization_show, status_show.
 */
export class CkanApi {
  constructor(
    private readonly search: SearchService,
    private readonly regional: RegionalCatalog,
    private readonly organizations: () => Organization[],
    /** A file's download URL at this node, `base` being the URL the client called (or the public URL). */
    private readonly downloadUrl: (base: string, publisher: string, dataset: DatasetMetadata, distId: string) => string,
    /** The use cases held: ckanext-showcase's showcases. */
    private readonly useCases: ShowcaseSources
  ) {}

  /** ckanext_showcase_list: every use case held (originals and take-overs). */
  showcaseList(base: string): unknown[] {
    const orgs = this.#orgsByPeer()
    return this.useCases.all().map(s => this.#showcase(s, orgs, base))
  }

  /** ckanext_showcase_show: one, by name (`<AGS>-<id>`) or id. */
  showcaseShow(id: string | undefined, base: string): Record<string, unknown> {
    return this.#showcase(this.#resolveShowcase(id, 'id'), this.#orgsByPeer(), base)
  }

  /** ckanext_showcase_package_list: the packages a use case uses (those held; dangling references are left out). */
  showcasePackageList(showcaseId: string | undefined, base: string): unknown[] {
    const s = this.#resolveShowcase(showcaseId, 'showcase_id')
    const orgs = this.#orgsByPeer()
    return s.useCase.datasets.flatMap(d => {
      const hit = this.search.hit(d.publisher, d.datasetId)
      return hit === undefined ? [] : [this.#package(hit, orgs, base)]
    })
  }

  /** ckanext_package_showcase_list: the use cases that use a package. */
  packageShowcaseList(packageId: string | undefined, base: string): unknown[] {
    if (packageId === undefined || packageId === '') throw new CkanError(409, 'Validation Error', 'Missing value', 'package_id')
    const key = this.#resolvePackage(packageId)
    const orgs = this.#orgsByPeer()
    return this.useCases.usingDataset(key.publisher, key.datasetId).map(s => this.#showcase(s, orgs, base))
  }

  #showcase(s: ShowcaseSource, orgs: Map<string, Organization>, base: string): Record<string, unknown> {
    return showcaseDict(s, orgs.get(s.publisher), n => `${base}/api/v1/use-cases/${s.publisher}/${s.useCase.id}/images/${n}`)
  }

  #resolveShowcase(id: string | undefined, field: string): ShowcaseSource {
    if (id === undefined || id === '') throw new CkanError(409, 'Validation Error', 'Missing value', field)
    const m = /^(\d{8})-(.+)$/.exec(id)
    const org = m === null ? undefined : this.organizations().find(o => o.ags === m[1])
    const found =
      org !== undefined
        ? this.useCases.get(org.peerId, m![2]!)
        : this.useCases.all().find(s => uuidOf(`showcase:${s.publisher}/${s.useCase.id}`) === id)
    if (found === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    return found
  }

  packageSearch(p: PackageSearchParams, base: string): Record<string, unknown> {
    const rows = Math.min(intParam(p.rows, 'rows', 10, 0, Number.MAX_SAFE_INTEGER), MAX_ROWS)
    const start = intParam(p.start, 'start', 0, 0, 10_000_000)
    const sort = parseSort(p.sort)
    const filter = this.#filter(p.q, p.fq)
    const orgs = this.#orgsByPeer()
    const { rows: hits, total } = this.search.list(
      filter,
      start,
      rows,
      sort.map(s => ({ key: ORDER_KEYS[s.field], dir: s.dir })),
      (publisher, datasetId) => ({
        id: uuidOf(`pkg:${publisher}/${datasetId}`),
        name: packageName(orgs.get(publisher)?.ags ?? null, datasetId)
      })
    )
    const facetFields = parseFacetFields(p['facet.field'])
    const facetLimit = intParam(p['facet.limit'], 'facet.limit', 50, -1, 1000)
    const facets: Record<string, Record<string, number>> = {}
    const searchFacets: Record<string, unknown> = {}
    for (const field of facetFields) {
      const counts = this.search.facet(filter, FACET_FIELDS[field], facetLimit < 0 ? 1000 : facetLimit)
      const named = counts.map(c => ({
        name: field === 'organization' ? (orgs.get(c.value)?.name ?? c.value) : field === 'groups' ? c.value.toLowerCase() : c.value,
        count: c.count,
        label: field === 'organization' ? orgs.get(c.value)?.title : undefined
      }))
      facets[field] = Object.fromEntries(named.map(n => [n.name, n.count]))
      searchFacets[field] = { title: field, items: named.map(n => ({ name: n.name, display_name: n.label ?? n.name, count: n.count })) }
    }
    return {
      count: total,
      facets,
      search_facets: searchFacets,
      results: hits.map(h => this.#package(h, orgs, base)),
      sort: sort.map(s => `${s.field} ${s.dir}`).join(', ')
    }
  }

  packageShow(id: string | undefined, base: string): Record<string, unknown> {
    if (id === undefined || id === '') throw new CkanError(409, 'Validation Error', 'Missing value', 'id')
    const key = this.#resolvePackage(id)
    const hit = this.search.hit(key.publisher, key.datasetId)
    if (hit === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    return this.#package(hit, this.#orgsByPeer(), base)
  }

  packageList(limit?: string, offset?: string): string[] {
    const n = intParam(limit, 'limit', 100_000, 1, 100_000)
    const o = intParam(offset, 'offset', 0, 0, 10_000_000)
    const agsOf = new Map(this.organizations().map(org => [org.peerId, org.ags]))
    return this.regional
      .liveKeys(n, o)
      .map(k => packageName(agsOf.get(k.publisher) ?? null, k.datasetId))
      .sort()
  }

  organizationList(allFields: boolean): unknown[] {
    const counts = new Map(this.search.facet(emptyFilter(), 'publisher', 10_000).map(c => [c.value, c.count]))
    const orgs = this.organizations().sort((a, b) => a.name.localeCompare(b.name))
    return allFields ? orgs.map(o => organizationDict(o, counts.get(o.peerId) ?? 0)) : orgs.map(o => o.name)
  }

  organizationShow(id: string | undefined): Record<string, unknown> {
    if (id === undefined || id === '') throw new CkanError(409, 'Validation Error', 'Missing value', 'id')
    const org = this.organizations().find(o => o.name === id || o.peerId === id || o.ags === id || uuidOf(`org:${o.peerId}`) === id)
    if (org === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    const count =
      this.search.facet({ ...emptyFilter(), include: [{ kind: 'publisher', values: [org.peerId] }] }, 'publisher').at(0)?.count ?? 0
    return organizationDict(org, count)
  }

  /** The data themes (DCAT-AP's data-theme vocabulary) are CKAN groups, as in GovData. */
  groupList(allFields: boolean): unknown[] {
    const counts = new Map(this.search.facet(emptyFilter(), 'theme', 100).map(c => [c.value, c.count]))
    return DATA_THEMES.map(t => (allFields ? groupDict(t, counts.get(t) ?? 0) : t.toLowerCase()))
  }

  groupShow(id: string | undefined): Record<string, unknown> {
    if (id === undefined || id === '') throw new CkanError(409, 'Validation Error', 'Missing value', 'id')
    const theme = DATA_THEMES.find(t => t.toLowerCase() === id.toLowerCase() || uuidOf(`group:${t}`) === id)
    if (theme === undefined) throw new CkanError(404, 'Not Found Error', 'Group not found')
    return groupDict(
      theme,
      this.search.facet({ ...emptyFilter(), include: [{ kind: 'theme', values: [theme] }] }, 'theme').at(0)?.count ?? 0
    )
  }

  /** Keywords as published, most used first; `query` keeps those containing it (case-insensitive). */
  tagList(query: string | undefined, allFields: boolean): unknown[] {
    const needle = query?.toLowerCase()
    const tags = this.search
      .facet(emptyFilter(), 'keyword', 100_000)
      .filter(t => needle === undefined || t.value.toLowerCase().includes(needle))
      .sort((a, b) => a.value.localeCompare(b.value, 'de'))
    return allFields
      ? tags.map(t => ({ id: uuidOf(`tag:${t.value}`), name: t.value, display_name: t.value, vocabulary_id: null }))
      : tags.map(t => t.value)
  }

  /** The dcat-ap.de licence vocabulary in CKAN's licence register shape. */
  licenseList(): unknown[] {
    return LICENSES.map(id => ({
      id,
      title: LICENSE_LABELS[id] ?? id,
      url: licenseUri(id),
      status: 'active',
      maintainer: '',
      family: '',
      od_conformance: OPEN_LICENSES.has(id) ? 'approved' : 'not reviewed',
      osd_conformance: 'not reviewed',
      domain_content: true,
      domain_data: true,
      domain_software: false,
      is_generic: false,
      is_okd_compliant: OPEN_LICENSES.has(id),
      is_osi_compliant: false
    }))
  }

  #package(hit: Parameters<typeof packageDict>[0], orgs: Map<string, Organization>, base: string): Record<string, unknown> {
    const org = orgs.get(hit.provenance.publisher) ?? {
      peerId: hit.provenance.publisher,
      name: hit.provenance.publisher.toLowerCase(),
      title: hit.provenance.kommune ?? hit.provenance.publisher,
      ags: null
    }
    return packageDict(hit, org, dist => this.downloadUrl(base, hit.provenance.publisher, hit.dataset, dist))
  }

  #orgsByPeer(): Map<string, Organization> {
    return new Map(this.organizations().map(o => [o.peerId, o]))
  }

  #resolvePackage(id: string): { publisher: string; datasetId: string } {
    const m = /^(\d{8})-(.+)$/.exec(id)
    if (m !== null) {
      const org = this.organizations().find(o => o.ags === m[1])
      if (org !== undefined) return { publisher: org.peerId, datasetId: m[2]! }
    }
    const hit = this.regional.liveKeys().find(k => uuidOf(`pkg:${k.publisher}/${k.datasetId}`) === id)
    if (hit === undefined) throw new CkanError(404, 'Not Found Error', 'Not found')
    return hit
  }

  /** CKAN q and fq (Solr syntax) → a list filter. */
  #filter(q: string | undefined, fq: string | undefined): ListFilter {
    const solr = parseFilter(fq, q)
    const orgs = this.organizations()
    const filter: ListFilter = {
      ...emptyFilter(),
      ...(solr.fts === undefined ? {} : { fts: solr.fts }),
      ...(solr.none ? { none: true } : {})
    }
    for (const t of solr.terms) {
      const entry =
        t.field === 'organization'
          ? {
              kind: 'publisher' as const,
              values: t.values
                .map(v => orgs.find(o => o.name === v || uuidOf(`org:${o.peerId}`) === v || o.peerId === v)?.peerId)
                .filter(v => v !== undefined)
            }
          : t.field === 'tags'
            ? { kind: 'keyword' as const, values: t.values }
            : t.field === 'res_format'
              ? { kind: 'format' as const, values: t.values.map(v => v.toUpperCase()) }
              : t.field === 'license_id'
                ? { kind: 'license' as const, values: t.values }
                : { kind: 'theme' as const, values: t.values.map(v => v.toUpperCase()) }
      // Excluding only unknown organizations excludes nothing (SQL's `NOT IN (NULL)` would exclude everything).
      if (t.negate && entry.values.length === 0) continue
      ;(t.negate ? filter.exclude : filter.include).push(entry)
    }
    for (const r of solr.ranges) {
      const range = { ...(r.from === undefined ? {} : { from: r.from }), ...(r.to === undefined ? {} : { to: r.to }) }
      if (r.field === 'metadata_modified') filter.receivedAt = range
      else filter.createdAt = range
    }
    return filter
  }
}

const emptyFilter = (): ListFilter => ({ include: [], exclude: [] })

function groupDict(theme: string, packageCount: number): Record<string, unknown> {
  return {
    id: uuidOf(`group:${theme}`),
    name: theme.toLowerCase(),
    title: THEME_LABELS[theme] ?? theme,
    display_name: THEME_LABELS[theme] ?? theme,
    description: `http://publications.europa.eu/resource/authority/data-theme/${theme}`,
    type: 'group',
    is_organization: false,
    state: 'active',
    approval_status: 'approved',
    image_url: '',
    image_display_url: '',
    created: '2026-01-01T00:00:00.000000',
    package_count: packageCount
  }
}

function intParam(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === '') return dflt
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new CkanError(409, 'Validation Error', `${name} must be an integer from ${min} to ${max}`, name)
  return Number(v)
}

function parseFacetFields(v: string | undefined): Array<keyof typeof FACET_FIELDS> {
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
