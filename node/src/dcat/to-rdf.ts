import { DataFactory, type Quad, type Quad_Object, type Quad_Subject } from 'n3'
import { LICENSES, licenseUri, type DatasetMetadata, type UseCase } from '@swf/protocol'
import { DATA_THEME, FILE_TYPE, FREQUENCY, IANA_MEDIA_TYPES, NS, POLITICAL_GEOCODING } from './vocab.js'

const { namedNode, literal, blankNode, quad } = {
  namedNode: DataFactory.namedNode.bind(DataFactory),
  literal: DataFactory.literal.bind(DataFactory),
  blankNode: DataFactory.blankNode.bind(DataFactory),
  quad: DataFactory.quad.bind(DataFactory)
}
const iri = (prefix: keyof typeof NS, local: string) => namedNode(NS[prefix] + local)
const a = iri('rdf', 'type')
const de = (text: string) => literal(text, 'de')

/** A date "2026-01-15" as xsd:date, anything else as xsd:dateTime. */
function dateLiteral(value: string) {
  return literal(value, iri('xsd', /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'date' : 'dateTime'))
}

export interface DatasetRdfContext {
  /** IRI of the dataset. */
  iri: string
  publisherName: string
  /** IRI of the publishing organisation. */
  publisherIri: string
  /** AGS of the publisher, for dcatde:politicalGeocodingURI when the dataset has none. */
  publisherAgs?: string
  contributorId: string
  /** Where a distribution's bytes can be downloaded on this node. */
  downloadUrl: (distId: string) => string
  /** The dataset's HTML page on this node (its landing page unless it names one). */
  pageUrl: string
}

/** DCAT-AP.de's hash-algorithm vocabulary (GovData's shapes accept no other IRI, not spdx:checksumAlgorithm_sha256). */
export const SHA256_ALGORITHM = 'http://dcat-ap.de/def/hashAlgorithms/sha/256'

/**
 * DCAT-AP.de requires a licence of its vocabulary on every distribution (GovData's
 * convention K31). A licence outside it (kept as given on import) is stated there
 * as "other-closed": it grants nothing the source did not; the dataset carries the given IRI.
 */
export const UNLISTED_LICENSE = 'other-closed'
const distributionLicense = (license: string): string => ((LICENSES as readonly string[]).includes(license) ? license : UNLISTED_LICENSE)

/** DCAT-AP.de 2.0 triples of one dataset (RDF/JS quads, no hand-built strings). */
export function datasetQuads(d: DatasetMetadata, ctx: DatasetRdfContext): Quad[] {
  const out: Quad[] = []
  const s = namedNode(ctx.iri)
  const add = (subject: Quad_Subject, p: ReturnType<typeof iri>, o: Quad_Object): void => {
    out.push(quad(subject, p, o))
  }

  add(s, a, iri('dcat', 'Dataset'))
  add(s, iri('dct', 'identifier'), literal(d.id))
  add(s, iri('dct', 'title'), de(d.title))
  add(s, iri('dct', 'description'), de(d.description))
  for (const k of d.keywords) add(s, iri('dcat', 'keyword'), de(k))
  for (const t of d.themes) add(s, iri('dcat', 'theme'), namedNode(DATA_THEME + t))
  // DCAT-AP.de puts licences on distributions; stating the dataset's own licence
  // too keeps it for datasets without distributions (and through a round trip).
  // An imported licence outside the vocabulary stays here as given.
  add(s, iri('dct', 'license'), namedNode(licenseUri(d.license)))
  const pub = namedNode(ctx.publisherIri)
  add(s, iri('dct', 'publisher'), pub)
  add(pub, a, iri('foaf', 'Organization'))
  add(pub, iri('foaf', 'name'), literal(d.publisher?.name ?? ctx.publisherName))
  add(s, iri('dcatde', 'contributorID'), namedNode(ctx.contributorId))
  // An imported dataset keeps its source's geocoding; otherwise the dataset's or the publisher's AGS.
  const given = d.spatial?.politicalGeocodingURIs
  const ags = d.spatial?.ags ?? ctx.publisherAgs
  if (given !== undefined) {
    for (const uri of given) add(s, iri('dcatde', 'politicalGeocodingURI'), namedNode(uri))
    if (d.spatial?.politicalGeocodingLevelURI !== undefined)
      add(s, iri('dcatde', 'politicalGeocodingLevelURI'), namedNode(d.spatial.politicalGeocodingLevelURI))
  } else if (ags !== undefined) {
    add(s, iri('dcatde', 'politicalGeocodingURI'), namedNode(`${POLITICAL_GEOCODING}municipalityKey/${ags}`))
    add(s, iri('dcatde', 'politicalGeocodingLevelURI'), namedNode(`${POLITICAL_GEOCODING}Level/municipality`))
  }
  if (d.spatial?.bbox !== undefined) {
    const [w, so, e, n] = d.spatial.bbox
    const loc = blankNode()
    add(s, iri('dct', 'spatial'), loc)
    add(loc, a, iri('dct', 'Location'))
    add(loc, iri('dcat', 'bbox'), literal(`POLYGON((${w} ${so}, ${e} ${so}, ${e} ${n}, ${w} ${n}, ${w} ${so}))`, iri('gsp', 'wktLiteral')))
  }
  if (d.temporal !== undefined) {
    const t = blankNode()
    add(s, iri('dct', 'temporal'), t)
    add(t, a, iri('dct', 'PeriodOfTime'))
    if (d.temporal.start !== undefined) add(t, iri('dcat', 'startDate'), dateLiteral(d.temporal.start))
    if (d.temporal.end !== undefined) add(t, iri('dcat', 'endDate'), dateLiteral(d.temporal.end))
  }
  if (d.issued !== undefined) add(s, iri('dct', 'issued'), dateLiteral(d.issued))
  if (d.modified !== undefined) add(s, iri('dct', 'modified'), dateLiteral(d.modified))
  if (d.contactPoint !== undefined) {
    const c = blankNode()
    add(s, iri('dcat', 'contactPoint'), c)
    add(c, a, iri('vcard', 'Organization'))
    add(c, iri('vcard', 'fn'), literal(d.contactPoint.name))
    add(c, iri('vcard', 'hasEmail'), namedNode(`mailto:${d.contactPoint.email}`))
  }
  add(s, iri('dcat', 'landingPage'), namedNode(d.landingPage ?? ctx.pageUrl))
  if (d.accrualPeriodicity !== undefined) add(s, iri('dct', 'accrualPeriodicity'), namedNode(FREQUENCY + d.accrualPeriodicity))

  for (const dist of d.distributions) {
    const r = namedNode(`${ctx.iri}/distribution/${dist.id}`)
    add(s, iri('dcat', 'distribution'), r)
    add(r, a, iri('dcat', 'Distribution'))
    add(r, iri('dct', 'title'), de(dist.title))
    if (dist.description !== undefined) add(r, iri('dct', 'description'), de(dist.description))
    add(r, iri('dct', 'format'), namedNode(FILE_TYPE + dist.format))
    add(r, iri('dcat', 'mediaType'), namedNode(IANA_MEDIA_TYPES + dist.mediaType))
    add(r, iri('dct', 'license'), namedNode(licenseUri(distributionLicense(dist.license))))
    const held = dist.sha256 !== undefined
    const download = held ? ctx.downloadUrl(dist.id) : dist.downloadURL
    add(r, iri('dcat', 'accessURL'), namedNode(dist.accessURL ?? download ?? ctx.pageUrl))
    if (download !== undefined) add(r, iri('dcat', 'downloadURL'), namedNode(download))
    if (dist.byteSize !== undefined) add(r, iri('dcat', 'byteSize'), literal(String(dist.byteSize), iri('xsd', 'decimal')))
    if (dist.sha256 !== undefined) {
      const cs = blankNode()
      add(r, iri('spdx', 'checksum'), cs)
      add(cs, a, iri('spdx', 'Checksum'))
      add(cs, iri('spdx', 'algorithm'), namedNode(SHA256_ALGORITHM))
      add(cs, iri('spdx', 'checksumValue'), literal(dist.sha256, iri('xsd', 'hexBinary')))
    }
    if (dist.modified !== undefined) add(r, iri('dct', 'modified'), dateLiteral(dist.modified))
  }
  return out
}

export interface CatalogRdfContext {
  iri: string
  title: string
  description: string
  publisherName: string
  publisherIri: string
  datasetIris: string[]
  /** ckanext-dcat style paging (hydra:PagedCollection) when the catalog spans pages. */
  paging?: { pageUrl: (page: number) => string; page: number; lastPage: number; totalItems: number; itemsPerPage: number }
  /** Use cases, as dcat:service of the catalog. */
  serviceIris?: string[]
}

export interface UseCaseRdfContext {
  /** IRI of the use case: its page on this node. */
  iri: string
  publisherName: string
  publisherIri: string
  /** IRIs of the datasets it uses that are described in the same graph (dcat:servesDataset must point to a dcat:Dataset). */
  datasetIris: string[]
  /** IRI of the use case it takes over, if any. */
  originalIri?: string
}

/**
 * A use case as DCAT-AP.de 2.0 allows it: a dcat:DataService (title,
 * description with the problem it solves, an endpoint — its app or website,
 * else its page) whose documents (source code, documentation, its page) are
 * foaf:Documents; the datasets it uses as dcat:servesDataset.
 */
export function useCaseQuads(u: UseCase, ctx: UseCaseRdfContext): Quad[] {
  const out: Quad[] = []
  const s = namedNode(ctx.iri)
  out.push(quad(s, a, iri('dcat', 'DataService')))
  out.push(quad(s, iri('dct', 'title'), de(u.title)))
  out.push(quad(s, iri('dct', 'description'), de(`${u.description}\n\n${u.problem}`)))
  const endpoint = u.links.find(l => l.kind === 'app-store' || l.kind === 'website')?.url ?? ctx.iri
  out.push(quad(s, iri('dcat', 'endpointURL'), namedNode(endpoint)))
  for (const page of [ctx.iri, ...u.links.filter(l => l.kind === 'source' || l.kind === 'documentation').map(l => l.url)]) {
    out.push(quad(s, iri('foaf', 'page'), namedNode(page)))
    out.push(quad(namedNode(page), a, iri('foaf', 'Document')))
  }
  const pub = namedNode(ctx.publisherIri)
  out.push(quad(s, iri('dct', 'publisher'), pub))
  out.push(quad(pub, a, iri('foaf', 'Organization')))
  out.push(quad(pub, iri('foaf', 'name'), literal(ctx.publisherName)))
  for (const d of ctx.datasetIris) out.push(quad(s, iri('dcat', 'servesDataset'), namedNode(d)))
  if (ctx.originalIri !== undefined) out.push(quad(s, iri('dct', 'source'), namedNode(ctx.originalIri)))
  return out
}

export function catalogQuads(ctx: CatalogRdfContext): Quad[] {
  const out: Quad[] = []
  const c = namedNode(ctx.iri)
  out.push(quad(c, a, iri('dcat', 'Catalog')))
  out.push(quad(c, iri('dct', 'title'), de(ctx.title)))
  out.push(quad(c, iri('dct', 'description'), de(ctx.description)))
  const pub = namedNode(ctx.publisherIri)
  out.push(quad(c, iri('dct', 'publisher'), pub))
  out.push(quad(pub, a, iri('foaf', 'Organization')))
  out.push(quad(pub, iri('foaf', 'name'), literal(ctx.publisherName)))
  for (const d of ctx.datasetIris) out.push(quad(c, iri('dcat', 'dataset'), namedNode(d)))
  for (const svc of ctx.serviceIris ?? []) out.push(quad(c, iri('dcat', 'service'), namedNode(svc)))
  if (ctx.paging !== undefined) {
    const p = ctx.paging
    const page = namedNode(p.pageUrl(p.page))
    out.push(quad(page, a, iri('hydra', 'PagedCollection')))
    out.push(quad(page, iri('hydra', 'totalItems'), literal(String(p.totalItems), iri('xsd', 'integer'))))
    out.push(quad(page, iri('hydra', 'itemsPerPage'), literal(String(p.itemsPerPage), iri('xsd', 'integer'))))
    out.push(quad(page, iri('hydra', 'firstPage'), literal(p.pageUrl(1))))
    out.push(quad(page, iri('hydra', 'lastPage'), literal(p.pageUrl(p.lastPage))))
    if (p.page < p.lastPage) out.push(quad(page, iri('hydra', 'nextPage'), literal(p.pageUrl(p.page + 1))))
    if (p.page > 1) out.push(quad(page, iri('hydra', 'previousPage'), literal(p.pageUrl(p.page - 1))))
  }
  return out
}
