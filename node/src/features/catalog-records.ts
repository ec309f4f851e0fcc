import { licenseUri, type DatasetMetadata } from '@swf/protocol'
import { downloadPath } from '../file-names.js'
import type { Provenance } from '../services/search-service.js'
import { collectionId, FEATURE_FORMATS } from './feature-collections.js'

// The regional catalog as OGC API – Records (Part 1): each dataset a record,
// a GeoJSON feature whose geometry is the dataset's extent and whose
// provenance names the Kommune that signed it.

const THEME_SCHEME = 'http://publications.europa.eu/resource/authority/data-theme'

export interface CatalogRecord {
  id: string
  type: 'Feature'
  conformsTo: string[]
  geometry: { type: 'Polygon'; coordinates: number[][][] } | null
  time: { interval: [string, string] } | { date: string } | null
  properties: Record<string, unknown>
  links: Array<{ href: string; rel: string; type?: string; title?: string }>
  provenance: Omit<Provenance, 'publisherOnline'> & { publisherOnline?: boolean }
}

export interface RecordLinks {
  base: string
  /** The record's id prefix of a publisher (its Kommune's slug). */
  nameOf: (peerId: string) => string
  /** This node's peer id: its own files have their own download path. */
  self: string
}

export const RECORD_CORE = 'http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core'

/** A dataset of the regional catalog as an OGC API Record. */
export function recordOf(dataset: DatasetMetadata, provenance: Provenance, ctx: RecordLinks): CatalogRecord {
  const { base, nameOf } = ctx
  const name = nameOf(provenance.publisher)
  const b = dataset.spatial?.bbox
  const links: CatalogRecord['links'] = [
    { href: `${base}/collections/catalog/items/${name}.${dataset.id}`, rel: 'self', type: 'application/geo+json' },
    { href: `${base}/collections/catalog`, rel: 'collection', type: 'application/json' },
    {
      href: `${base}/datensatz/${provenance.publisher}/${encodeURIComponent(dataset.id)}`,
      rel: 'alternate',
      type: 'text/html',
      title: dataset.title
    },
    { href: licenseUri(dataset.license), rel: 'license', title: dataset.license }
  ]
  for (const d of dataset.distributions) {
    if (d.sha256 !== undefined) {
      links.push({
        href: `${base}${downloadPath(ctx.self, provenance.publisher, dataset, d.id)}`,
        rel: 'enclosure',
        type: d.mediaType,
        title: d.title
      })
      if ((FEATURE_FORMATS as readonly string[]).includes(d.format)) {
        links.push({
          href: `${base}/collections/${collectionId(name, dataset.id, d.id)}`,
          rel: 'item',
          type: 'application/json',
          title: `Features: ${d.title}`
        })
      }
    } else if (d.downloadURL !== undefined || d.accessURL !== undefined) {
      links.push({ href: d.downloadURL ?? d.accessURL!, rel: 'enclosure', type: d.mediaType, title: d.title })
    }
  }
  if (dataset.landingPage !== undefined) links.push({ href: dataset.landingPage, rel: 'describedby', type: 'text/html' })
  const t = dataset.temporal
  const time = t === undefined ? null : { interval: [t.start ?? '..', t.end ?? '..'] as [string, string] }
  const properties: Record<string, unknown> = {
    type: 'dataset',
    title: dataset.title,
    description: dataset.description,
    keywords: dataset.keywords,
    language: { code: 'de' },
    license: 'other',
    formats: [...new Set(dataset.distributions.map(d => d.format))].map(f => ({ name: f })),
    contacts: contactsOf(dataset, provenance),
    updated: asDateTime(dataset.modified ?? provenance.signedAt),
    ...(dataset.issued === undefined ? {} : { created: asDateTime(dataset.issued) }),
    ...(dataset.themes.length === 0 ? {} : { themes: [{ concepts: dataset.themes.map(id => ({ id })), scheme: THEME_SCHEME }] }),
    externalIds: [{ scheme: 'swf:publisher/dataset', value: `${provenance.publisher}/${dataset.id}` }]
  }
  return {
    id: `${name}.${dataset.id}`,
    type: 'Feature',
    conformsTo: [RECORD_CORE],
    geometry:
      b === undefined
        ? null
        : {
            type: 'Polygon',
            coordinates: [
              [
                [b[0], b[1]],
                [b[2], b[1]],
                [b[2], b[3]],
                [b[0], b[3]],
                [b[0], b[1]]
              ]
            ]
          },
    time,
    properties,
    links,
    provenance
  }
}

function contactsOf(dataset: DatasetMetadata, p: Provenance): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  const publisher = dataset.publisher?.name ?? p.kommune
  if (publisher !== null) out.push({ organization: publisher, roles: ['publisher'] })
  if (dataset.contactPoint !== undefined) {
    out.push({ name: dataset.contactPoint.name, emails: [{ value: dataset.contactPoint.email }], roles: ['pointOfContact'] })
  }
  return out
}

/** A date as the record schema's date-time (midnight UTC for a plain date). */
function asDateTime(d: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00Z` : new Date(d).toISOString()
}

/** Whether a record's time (temporal coverage, else its last change) meets the interval (epoch ms). */
export function recordInTime(dataset: DatasetMetadata, signedAt: string, [from, to]: [number, number]): boolean {
  const start = Date.parse(dataset.temporal?.start ?? dataset.modified ?? signedAt)
  const end = Date.parse(dataset.temporal?.end ?? dataset.temporal?.start ?? dataset.modified ?? signedAt)
  const s = Number.isNaN(start) ? -Infinity : start
  const e = Number.isNaN(end)
    ? Infinity
    : end + (dataset.temporal?.end !== undefined && dataset.temporal.end.length === 10 ? 86_399_999 : 0)
  return s <= to && e >= from
}
