import type { Quad } from 'n3'
import type { RegionalCatalog, RegionalDatasetView } from './regional-catalog.js'
import { downloadPath } from '../file-names.js'
import { catalogQuads, datasetQuads, useCaseQuads } from '../dcat/to-rdf.js'
import type { UseCaseRecord } from './use-case-store.js'

export const EXPORT_PAGE_SIZE = 100

export interface ExportContext {
  baseUrl: string
  self: { peerId: string; kommune: string; ags: string }
  contributorId: string
  agsOf: (peerId: string) => string | undefined
}

/** IRIs and URLs a node gives the datasets it exports. */
export function datasetIri(base: string, self: string, v: RegionalDatasetView): string {
  return datasetIriOf(base, self, v.entry.publisher, v.dataset.id)
}

const datasetIriOf = (base: string, self: string, publisher: string, id: string): string =>
  publisher === self ? `${base}/dataset/${id}` : `${base}/catalog/${publisher}/${id}`

/** A use case's IRI: its page on this node. */
const useCaseIri = (base: string, publisher: string, id: string): string => `${base}/anwendung/${publisher}/${id}`

export function datasetViewQuads(v: RegionalDatasetView, ctx: ExportContext): Quad[] {
  const own = v.entry.publisher === ctx.self.peerId
  return datasetQuads(v.dataset, {
    iri: datasetIri(ctx.baseUrl, ctx.self.peerId, v),
    publisherName: v.publisher.kommune ?? v.dataset.publisher?.name ?? v.entry.publisher,
    publisherIri: `${ctx.baseUrl}/organization/${v.entry.publisher}`,
    publisherAgs: own ? ctx.self.ags : ctx.agsOf(v.entry.publisher),
    contributorId: ctx.contributorId,
    // Other Kommunen's files are fetched and verified through this node.
    downloadUrl: dist => `${ctx.baseUrl}${downloadPath(ctx.self.peerId, v.entry.publisher, v.dataset, dist)}`,
    pageUrl: `${ctx.baseUrl}/datensatz/${v.entry.publisher}/${v.dataset.id}`
  })
}

/** A catalog page: the node's own datasets, or with scope 'region' everything it holds. */
export function catalogPageQuads(
  regional: RegionalCatalog,
  ctx: ExportContext,
  opts: {
    scope: 'own' | 'region'
    page: number
    modifiedSince?: string
    pageUrl: (page: number) => string
    /** Use cases in scope: described on the first page, as dcat:DataService. */
    useCases?: UseCaseRecord[]
    kommuneOf?: (peerId: string) => string | null
  }
): Quad[] {
  const { items, total } = regional.exportPage({
    publisher: opts.scope === 'own' ? ctx.self.peerId : undefined,
    modifiedSince: opts.modifiedSince,
    offset: (opts.page - 1) * EXPORT_PAGE_SIZE,
    limit: EXPORT_PAGE_SIZE
  })
  const lastPage = Math.max(1, Math.ceil(total / EXPORT_PAGE_SIZE))
  const onPage = new Set(items.map(v => datasetIri(ctx.baseUrl, ctx.self.peerId, v)))
  const useCases =
    opts.page === 1 ? (opts.useCases ?? []).filter(u => opts.modifiedSince === undefined || u.entry.issuedAt >= opts.modifiedSince) : []
  return [
    ...catalogQuads({
      iri: `${ctx.baseUrl}/catalog`,
      title: opts.scope === 'own' ? `Offene Daten: ${ctx.self.kommune}` : `Offene Daten der Region Südwestfalen (über ${ctx.self.kommune})`,
      description:
        opts.scope === 'own'
          ? `Datenkatalog des Knotens von ${ctx.self.kommune} im Datenraum Südwestfalen.`
          : 'Regionaler Datenkatalog aller Kommunen des Datenraums Südwestfalen, signiert und synchronisiert.',
      publisherName: ctx.self.kommune,
      publisherIri: `${ctx.baseUrl}/organization/${ctx.self.peerId}`,
      datasetIris: items.map(v => datasetIri(ctx.baseUrl, ctx.self.peerId, v)),
      serviceIris: useCases.map(u => useCaseIri(ctx.baseUrl, u.publisher, u.useCase.id)),
      paging: { pageUrl: opts.pageUrl, page: opts.page, lastPage, totalItems: total, itemsPerPage: EXPORT_PAGE_SIZE }
    }),
    ...items.flatMap(v => datasetViewQuads(v, ctx)),
    ...useCases.flatMap(u => {
      const t = u.useCase.takesOver
      return useCaseQuads(u.useCase, {
        iri: useCaseIri(ctx.baseUrl, u.publisher, u.useCase.id),
        publisherName: opts.kommuneOf?.(u.publisher) ?? u.publisher,
        publisherIri: `${ctx.baseUrl}/organization/${u.publisher}`,
        datasetIris: u.useCase.datasets
          .map(d => datasetIriOf(ctx.baseUrl, ctx.self.peerId, d.publisher, d.datasetId))
          .filter(i => onPage.has(i)),
        ...(t === undefined ? {} : { originalIri: useCaseIri(ctx.baseUrl, t.publisher, t.useCaseId) })
      })
    })
  ]
}
