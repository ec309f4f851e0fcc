import { createHash } from 'node:crypto'
import { licenseUri, slugify, themeUri, type DatasetMetadata, type UseCase } from '@swf/protocol'
import { LICENSE_LABELS } from '../vocabulary-labels.js'
import type { SearchHit } from '../services/search-service.js'

// CKAN 2.10 shapes for the regional catalog: each Kommune is an
// organization, each dataset a package, each distribution a resource.

/** A stable UUID-shaped id from a name (CKAN clients expect UUIDs). */
export function uuidOf(name: string): string {
  const h = createHash('sha256').update(name).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export interface Organization {
  peerId: string
  name: string
  title: string
  ags: string | null
}

export const organizationName = (kommune: string): string => slugify(kommune)
/** Package names are unique in a CKAN: prefix the dataset id with the publisher's AGS. */
export const packageName = (ags: string | null, datasetId: string): string => `${ags ?? 'x'}-${datasetId}`.slice(0, 100)

export const OPEN_LICENSES = new Set<string>([
  'dl-by-de/2.0',
  'dl-zero-de/2.0',
  'cc-by/4.0',
  'cc-by',
  'cc-by-sa/4.0',
  'cc-by-sa',
  'cc-zero',
  'odbl',
  'odby',
  'odcpddl',
  'officialWork',
  'other-open',
  'dl-by-de/1.0',
  'cc-by-de/3.0',
  'cc-by-sa-de/3.0',
  'apache',
  'bsd',
  'gpl/3.0',
  'mozilla',
  'gfdl',
  'other-opensource'
])

export function organizationDict(org: Organization, packageCount?: number): Record<string, unknown> {
  return {
    id: uuidOf(`org:${org.peerId}`),
    name: org.name,
    title: org.title,
    display_name: org.title,
    type: 'organization',
    description: `${org.title} im Datenraum Südwestfalen${org.ags === null ? '' : ` (AGS ${org.ags})`}`,
    image_url: '',
    image_display_url: '',
    created: '2026-01-01T00:00:00.000000',
    is_organization: true,
    approval_status: 'approved',
    state: 'active',
    ...(packageCount === undefined ? {} : { package_count: packageCount }),
    extras: [{ key: 'peer_id', value: org.peerId }, ...(org.ags === null ? [] : [{ key: 'ags', value: org.ags }])]
  }
}

const ckanTime = (iso: string): string => iso.replace('Z', '').replace(/(\.\d{3})$/, '$1000')

export function packageDict(hit: SearchHit, org: Organization, downloadUrl: (distId: string) => string): Record<string, unknown> {
  const d: DatasetMetadata = hit.dataset
  const id = uuidOf(`pkg:${hit.provenance.publisher}/${d.id}`)
  // When this node stored the current version: what fq=metadata_modified:[T TO *] filters on,
  // so an incremental harvest also gets versions synced late from other Kommunen.
  const modified = ckanTime(hit.provenance.receivedAt ?? hit.provenance.signedAt)
  const resources = d.distributions.map((r, position) => ({
    id: uuidOf(`res:${hit.provenance.publisher}/${d.id}/${r.id}`),
    package_id: id,
    name: r.title,
    description: r.description ?? '',
    format: r.format,
    mimetype: r.mediaType,
    url: r.sha256 !== undefined ? downloadUrl(r.id) : (r.downloadURL ?? r.accessURL ?? ''),
    size: r.byteSize ?? null,
    hash: r.sha256 === undefined ? '' : `sha256:${r.sha256}`,
    license: r.license,
    created: modified,
    last_modified: r.modified === undefined ? null : ckanTime(r.modified),
    metadata_modified: modified,
    state: 'active',
    position,
    url_type: null,
    resource_type: null,
    cache_url: null,
    mimetype_inner: null
  }))
  const extras: Array<{ key: string; value: string }> = [
    { key: 'publisher_peer_id', value: hit.provenance.publisher },
    { key: 'entry_seq', value: String(hit.provenance.seq) },
    { key: 'entry_hash', value: hit.provenance.entryHash },
    { key: 'theme', value: JSON.stringify(d.themes.map(themeUri)) }
  ]
  if (d.spatial?.bbox !== undefined) {
    const [w, s, e, n] = d.spatial.bbox
    extras.push({
      key: 'spatial',
      value: JSON.stringify({
        type: 'Polygon',
        coordinates: [
          [
            [w, s],
            [e, s],
            [e, n],
            [w, n],
            [w, s]
          ]
        ]
      })
    })
  }
  if (d.spatial?.ags !== undefined)
    extras.push({ key: 'politicalGeocodingURI', value: `http://dcat-ap.de/def/politicalGeocoding/municipalityKey/${d.spatial.ags}` })
  if (d.temporal?.start !== undefined) extras.push({ key: 'temporal_start', value: d.temporal.start })
  if (d.temporal?.end !== undefined) extras.push({ key: 'temporal_end', value: d.temporal.end })
  if (d.accrualPeriodicity !== undefined) extras.push({ key: 'frequency', value: d.accrualPeriodicity })
  return {
    id,
    name: packageName(org.ags, d.id),
    title: d.title,
    notes: d.description,
    type: 'dataset',
    state: 'active',
    private: false,
    isopen: OPEN_LICENSES.has(d.license),
    license_id: d.license,
    license_title: LICENSE_LABELS[d.license] ?? d.license,
    license_url: licenseUri(d.license),
    url: d.landingPage ?? '',
    version: null,
    author: d.publisher?.name ?? org.title,
    author_email: null,
    maintainer: d.contactPoint?.name ?? null,
    maintainer_email: d.contactPoint?.email ?? null,
    metadata_created: ckanTime(d.issued !== undefined && d.issued.includes('T') ? d.issued : hit.provenance.signedAt),
    metadata_modified: modified,
    creator_user_id: null,
    owner_org: uuidOf(`org:${org.peerId}`),
    organization: organizationDict(org),
    tags: d.keywords.map(k => ({ id: uuidOf(`tag:${k}`), name: k, display_name: k, state: 'active', vocabulary_id: null })),
    num_tags: d.keywords.length,
    groups: d.themes.map(t => ({
      id: uuidOf(`group:${t}`),
      name: t.toLowerCase(),
      title: t,
      display_name: t,
      description: '',
      image_display_url: ''
    })),
    resources,
    num_resources: resources.length,
    extras,
    relationships_as_object: [],
    relationships_as_subject: []
  }
}

/** What a showcase is made from: a use case as the node reads it. */
export interface ShowcaseSource {
  publisher: string
  useCase: UseCase
  entry: { seq: number; hash: string; issuedAt: string }
}

/**
 * A use case as ckanext-showcase's package dict (type "showcase"): its
 * website or app as `url`, its first image as `image_url`, status, problem
 * and take-over in `extras`.
 */
export function showcaseDict(s: ShowcaseSource, org: Organization | undefined, imageUrl: (n: number) => string): Record<string, unknown> {
  const u = s.useCase
  const time = ckanTime(s.entry.issuedAt)
  const link = u.links.find(l => l.kind === 'website' || l.kind === 'app-store') ?? u.links[0]
  const extras = [
    { key: 'publisher_peer_id', value: s.publisher },
    { key: 'status', value: u.status },
    { key: 'problem', value: u.problem },
    { key: 'entry_seq', value: String(s.entry.seq) },
    { key: 'entry_hash', value: s.entry.hash },
    ...(u.softwareLicense === undefined ? [] : [{ key: 'software_license', value: u.softwareLicense }]),
    ...(u.takesOver === undefined ? [] : [{ key: 'takes_over', value: `${u.takesOver.publisher}/${u.takesOver.useCaseId}` }])
  ]
  return {
    id: uuidOf(`showcase:${s.publisher}/${u.id}`),
    name: packageName(org?.ags ?? null, u.id),
    title: u.title,
    notes: u.description,
    type: 'showcase',
    state: 'active',
    private: false,
    url: link?.url ?? '',
    image_url: u.images.length === 0 ? '' : imageUrl(1),
    author: u.contactPoint?.name ?? org?.title ?? '',
    author_email: u.contactPoint?.email ?? '',
    license_id: u.softwareLicense ?? '',
    owner_org: null,
    organization: null,
    metadata_created: time,
    metadata_modified: time,
    num_resources: 0,
    resources: [],
    num_tags: u.needs.themes.length,
    tags: u.needs.themes.map(t => ({ name: t.toLowerCase(), display_name: t.toLowerCase(), state: 'active' })),
    groups: [],
    extras
  }
}
