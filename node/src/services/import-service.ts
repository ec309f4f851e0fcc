import { eq } from 'drizzle-orm'
import { canonicalize, type DatasetMetadata } from '../../../protocol/src/index.js'
import type { NodeDb } from '../db/open.js'
import { importedDatasets } from '../db/schema.js'
import type { SkippedRecord } from '../dcat/from-rdf.js'
import { NotFoundError, ValidationError } from '../errors.js'
import type { CatalogService } from './catalog-service.js'

export const MAX_IMPORT_PAGES = 1000
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024

export interface ImportReport {
  source: string
  pages: number
  created: number
  updated: number
  unchanged: number
  pruned: number
  skipped: SkippedRecord[]
}

export type ImportInput =
  | { url: string }
  | { text: string, mediaType?: string, name: string }

export class ImportSourceError extends Error {
  override readonly name = 'ImportSourceError'
}

/** Fields the node fills in when a source leaves them out: not a change. */
const DEFAULTED = new Set(['publisher', 'issued', 'modified'])

/**
 * Imports an existing portal's DCAT-AP.de catalog as this Kommune's own
 * signed datasets. Ids are stable (re-import updates, never duplicates);
 * datasets gone from the source are deleted only with prune, and only if
 * they came from that source.
 */
export class ImportService {
  constructor (private readonly db: NodeDb, private readonly catalog: CatalogService) {}

  async import (input: ImportInput, opts: { prune: boolean, onPage?: (page: number, records: number) => void }): Promise<ImportReport> {
    const source = 'url' in input ? input.url : `file:${input.name}`
    const report: ImportReport = { source, pages: 0, created: 0, updated: 0, unchanged: 0, pruned: 0, skipped: [] }
    const seen = new Set<string>()
    const visited = new Set<string>()
    let page: { text: string, mediaType?: string, name?: string, base?: string } | undefined = 'url' in input ? await fetchPage(input.url) : input
    if ('url' in input) visited.add(input.url)
    while (page !== undefined) {
      report.pages++
      // Loaded on first import only: the RDF parsers are large (see routes/dcat.ts).
      const [{ detectFormat, parseRdf }, { datasetsFromRdf }] = await Promise.all([import('../dcat/parse-rdf.js'), import('../dcat/from-rdf.js')])
      const quads = await parseRdf(page.text, detectFormat(page.text, page.mediaType, page.name), page.base)
      const { records, skipped, nextPage } = datasetsFromRdf(quads)
      report.skipped.push(...skipped)
      for (const record of records) {
        if (seen.has(record.metadata.id)) { report.skipped.push({ iri: record.iri, reason: `id: "${record.metadata.id}" occurs on several pages` }); continue }
        seen.add(record.metadata.id)
        const outcome = await this.#apply(source, record.iri, record.metadata)
        if (typeof outcome === 'string') report[outcome]++
        else report.skipped.push(outcome)
      }
      opts.onPage?.(report.pages, records.length)
      const next = nextPage === undefined ? undefined : new URL(nextPage, page.base ?? undefined).toString()
      if (next === undefined || visited.has(next) || report.pages >= MAX_IMPORT_PAGES) break
      visited.add(next)
      page = await fetchPage(next)
    }
    if (opts.prune) {
      const previous = this.db.select().from(importedDatasets).where(eq(importedDatasets.source, source)).all()
      for (const row of previous.filter(r => !seen.has(r.datasetId))) {
        try {
          await this.catalog.remove(row.datasetId)
          report.pruned++
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err
        }
        this.db.delete(importedDatasets).where(eq(importedDatasets.datasetId, row.datasetId)).run()
      }
    }
    return report
  }

  async #apply (source: string, iri: string, metadata: DatasetMetadata): Promise<'created' | 'updated' | 'unchanged' | SkippedRecord> {
    const origin = this.db.select().from(importedDatasets).where(eq(importedDatasets.datasetId, metadata.id)).get()
    let existing: DatasetMetadata | undefined
    try {
      existing = this.catalog.getOwn(metadata.id).dataset
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
    }
    if (existing !== undefined && origin?.source !== source) {
      return { iri, reason: `id: "${metadata.id}" already exists on this node and was not imported from this source` }
    }
    let outcome: 'created' | 'updated' | 'unchanged'
    try {
      if (existing === undefined) {
        await this.catalog.create(metadata)
        outcome = 'created'
      } else if (sameContent(metadata, existing)) {
        outcome = 'unchanged'
      } else {
        await this.catalog.update(metadata.id, metadata)
        outcome = 'updated'
      }
    } catch (err) {
      if (err instanceof ValidationError) return { iri, reason: `${err.field ?? ''}: ${err.message}` }
      throw err
    }
    this.db.insert(importedDatasets).values({ datasetId: metadata.id, source, sourceIri: iri, importedAt: new Date().toISOString() })
      .onConflictDoUpdate({ target: importedDatasets.datasetId, set: { source, sourceIri: iri, importedAt: new Date().toISOString() } }).run()
    return outcome
  }
}

function sameContent (imported: DatasetMetadata, existing: DatasetMetadata): boolean {
  const strip = (m: DatasetMetadata): Record<string, unknown> => Object.fromEntries(Object.entries(m).filter(([k]) => !(DEFAULTED.has(k) && !(k in imported))))
  return canonicalize(strip(imported)) === canonicalize(strip(existing))
}

async function fetchPage (url: string): Promise<{ text: string, mediaType?: string, base: string }> {
  let res: Response
  try {
    const u = new URL(url)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('only http(s) URLs')
    res = await fetch(u, { headers: { accept: 'text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8' }, signal: AbortSignal.timeout(60_000) })
  } catch (err) {
    throw new ImportSourceError(`cannot read ${url}: ${(err as Error).message}`)
  }
  if (!res.ok) throw new ImportSourceError(`${url} answered ${res.status}`)
  const length = Number(res.headers.get('content-length') ?? 0)
  if (length > MAX_IMPORT_BYTES) throw new ImportSourceError(`${url} is larger than ${MAX_IMPORT_BYTES} bytes`)
  const text = await res.text()
  if (text.length > MAX_IMPORT_BYTES) throw new ImportSourceError(`${url} is larger than ${MAX_IMPORT_BYTES} bytes`)
  return { text, mediaType: res.headers.get('content-type') ?? undefined, base: url }
}
