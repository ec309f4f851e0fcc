import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { canonicalize, type DatasetMetadata } from '@swf/protocol'
import type { ImportedDatasets } from './imported-datasets.js'
import type { ImportWarning, SkippedRecord } from '../dcat/from-rdf.js'
import { RdfParseError } from '../dcat/errors.js'
import { NotFoundError, ValidationError } from '../errors.js'
import type { CatalogService } from './catalog-service.js'

export const MAX_IMPORT_PAGES = 1000
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024
/** Redirects followed per page. */
export const MAX_IMPORT_REDIRECTS = 5
const PAGE_TIMEOUT_MS = 60_000

export interface ImportOptions {
  /**
   * Follow redirects and next pages to another host on a loopback, private or
   * link-local address (config `import.allowPrivateNetworks`). Off: a catalog
   * on the internet cannot steer the node at its own network.
   */
  allowPrivateNetworks: boolean
}

/** Addresses a source on the internet must not lead the node to. */
const NON_PUBLIC = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4]
] as const) {
  NON_PUBLIC.addSubnet(net, bits, 'ipv4')
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8]
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv6')

function isNonPublic(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped !== undefined) return NON_PUBLIC.check(mapped, 'ipv4')
  return NON_PUBLIC.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
}

export interface ImportReport {
  source: string
  pages: number
  created: number
  updated: number
  unchanged: number
  pruned: number
  skipped: SkippedRecord[]
  /** Fields repaired, kept as given or left out, per record. */
  warnings: ImportWarning[]
  /** Pages after the first that could not be read or parsed; the import stopped there. */
  failedPages: Array<{ url: string; reason: string }>
  /** Every page was read (prune ran only then). */
  complete: boolean
}

export type ImportInput = { url: string } | { text: string; mediaType?: string; name: string }

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
  constructor(
    private readonly imported: ImportedDatasets,
    private readonly catalog: CatalogService,
    private readonly options: ImportOptions = { allowPrivateNetworks: false }
  ) {}

  async import(input: ImportInput, opts: { prune: boolean; onPage?: (page: number, records: number) => void }): Promise<ImportReport> {
    const source = 'url' in input ? input.url : `file:${input.name}`
    const report: ImportReport = {
      source,
      pages: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      pruned: 0,
      skipped: [],
      warnings: [],
      failedPages: [],
      complete: true
    }
    const seen = new Set<string>()
    const visited = new Set<string>()
    // The operator's own URL may be on the municipal network; where it leads (redirects, next pages) must stay there or be public.
    const home = 'url' in input ? originOf(input.url) : undefined
    const fetchPage = async (url: string): Promise<{ text: string; mediaType?: string; base: string }> =>
      fetchSource(url, home, this.options)
    let page: { text: string; mediaType?: string; name?: string; base?: string } = 'url' in input ? await fetchPage(input.url) : input
    if ('url' in input) visited.add(input.url)
    // Ends at the last page, a page already read, MAX_IMPORT_PAGES or a page that cannot be read.
    for (;;) {
      report.pages++
      // Loaded on first import only: the RDF parsers are large (see routes/dcat.ts).
      const [{ detectFormat, documentBases, parseRdf }, { datasetsFromRdf }] = await Promise.all([
        import('../dcat/parse-rdf.js'),
        import('../dcat/from-rdf.js')
      ])
      let parsed: ReturnType<typeof datasetsFromRdf>
      try {
        parsed = datasetsFromRdf(
          await parseRdf(page.text, detectFormat(page.text, page.mediaType, page.name), page.base),
          documentBases(page.text, page.base)
        )
      } catch (err) {
        // The first page is the source itself: unreadable, it is an error. A later one ends the import with what was read.
        if (report.pages === 1 || !(err instanceof RdfParseError)) throw err
        report.pages--
        report.failedPages.push({ url: page.base ?? '', reason: err.message })
        report.complete = false
        break
      }
      const { records, skipped, warnings, nextPage } = parsed
      report.skipped.push(...skipped)
      report.warnings.push(...warnings)
      for (const record of records) {
        if (seen.has(record.metadata.id)) {
          report.skipped.push({ iri: record.iri, reason: `id: "${record.metadata.id}" occurs on several pages` })
          continue
        }
        seen.add(record.metadata.id)
        const outcome = await this.#apply(source, record.iri, record.metadata)
        if (typeof outcome === 'string') report[outcome]++
        else report.skipped.push(outcome)
      }
      opts.onPage?.(report.pages, records.length)
      const next = nextPage === undefined ? undefined : new URL(nextPage, page.base ?? undefined).toString()
      if (next === undefined || visited.has(next) || report.pages >= MAX_IMPORT_PAGES) break
      visited.add(next)
      try {
        page = await fetchPage(next)
      } catch (err) {
        if (!(err instanceof ImportSourceError)) throw err
        report.failedPages.push({ url: next, reason: err.message })
        report.complete = false
        break
      }
    }
    // Pruning after a partial read would delete what lies on the pages not read.
    if (opts.prune && report.complete) {
      const previous = this.imported.fromSource(source)
      for (const row of previous.filter(r => !seen.has(r.datasetId))) {
        try {
          await this.catalog.remove(row.datasetId)
          report.pruned++
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err
        }
        this.imported.forget(row.datasetId)
      }
    }
    return report
  }

  async #apply(source: string, iri: string, metadata: DatasetMetadata): Promise<'created' | 'updated' | 'unchanged' | SkippedRecord> {
    const origin = this.imported.get(metadata.id)
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
    this.imported.record(metadata.id, source, iri)
    return outcome
  }
}

function sameContent(imported: DatasetMetadata, existing: DatasetMetadata): boolean {
  const strip = (m: DatasetMetadata): Record<string, unknown> =>
    Object.fromEntries(Object.entries(m).filter(([k]) => !(DEFAULTED.has(k) && !(k in imported))))
  return canonicalize(strip(imported)) === canonicalize(strip(existing))
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}

/**
 * One page of a source catalog. Redirects are followed by hand (at most
 * MAX_IMPORT_REDIRECTS), each hop checked: another origin than the one the
 * operator named must resolve to public addresses only, unless allowed. The
 * body is read as a stream and counted — after fetch's own decompression,
 * chunk by chunk — so neither a gzip bomb (1 MB inflating to 1 GB) nor an
 * endless stream without a length gets past MAX_IMPORT_BYTES into memory.
 */
async function fetchSource(
  url: string,
  home: string | undefined,
  options: ImportOptions
): Promise<{ text: string; mediaType?: string; base: string }> {
  let current = url
  let res: Response | undefined
  for (let hop = 0; hop <= MAX_IMPORT_REDIRECTS; hop++) {
    let u: URL
    try {
      u = new URL(current)
    } catch {
      throw new ImportSourceError(`cannot read ${current}: not a URL`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ImportSourceError(`cannot read ${current}: only http(s) URLs`)
    if (u.origin !== home && !options.allowPrivateNetworks) await refuseNonPublic(u)
    try {
      res = await fetch(u, {
        headers: { accept: 'text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8' },
        redirect: 'manual',
        signal: AbortSignal.timeout(PAGE_TIMEOUT_MS)
      })
    } catch (err) {
      throw new ImportSourceError(`cannot read ${current}: ${(err as Error).message}`)
    }
    const location = res.headers.get('location')
    if (res.status < 300 || res.status >= 400 || location === null) break
    await res.body?.cancel()
    current = new URL(location, u).toString()
    res = undefined
  }
  if (res === undefined) throw new ImportSourceError(`${url} redirects more than ${MAX_IMPORT_REDIRECTS} times`)
  if (!res.ok) {
    await res.body?.cancel()
    throw new ImportSourceError(`${current} answered ${res.status}`)
  }
  const length = Number(res.headers.get('content-length') ?? 0)
  if (length > MAX_IMPORT_BYTES) {
    await res.body?.cancel()
    throw new ImportSourceError(`${current} is larger than ${MAX_IMPORT_BYTES} bytes`)
  }
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength
      if (bytes > MAX_IMPORT_BYTES) {
        await res.body?.cancel().catch(() => {})
        throw new ImportSourceError(
          `${current} is larger than ${MAX_IMPORT_BYTES} bytes (counted while reading, after decompression); not imported`
        )
      }
      text += decoder.decode(chunk, { stream: true })
    }
  } catch (err) {
    if (err instanceof ImportSourceError) throw err
    throw new ImportSourceError(`cannot read ${current}: ${(err as Error).message}`)
  }
  text += decoder.decode()
  return { text, mediaType: res.headers.get('content-type') ?? undefined, base: current }
}

/** Refuses a URL whose host is, or resolves to, a loopback, private or link-local address. */
async function refuseNonPublic(u: URL): Promise<void> {
  const host = u.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  try {
    addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map(a => a.address)
  } catch (err) {
    throw new ImportSourceError(`cannot read ${u.toString()}: ${(err as Error).message}`)
  }
  const inner = addresses.find(isNonPublic)
  if (inner !== undefined) {
    throw new ImportSourceError(
      `refused to follow ${u.toString()}: it leads to ${inner}, a loopback or private address, away from the catalog's own host (set import.allowPrivateNetworks to allow)`
    )
  }
}
