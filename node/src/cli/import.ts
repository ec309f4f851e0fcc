import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import cliProgress from 'cli-progress'
import { CliError, type NodeClient } from './client.js'
import type { ImportReportAnswer } from '../http/response-schemas.js'

const TYPES: Record<string, string> = {
  ttl: 'text/turtle',
  rdf: 'application/rdf+xml',
  xml: 'application/rdf+xml',
  jsonld: 'application/ld+json',
  json: 'application/ld+json'
}

/**
 * Sends a catalog (URL, or a file's content) to the node's admin import
 * endpoint and shows its progress per page on stderr.
 */
export async function importCatalog(
  client: NodeClient,
  src: string,
  prune: boolean,
  quiet = !process.stderr.isTTY
): Promise<ImportReportAnswer> {
  const params = new URLSearchParams({ prune: String(prune) })
  let init: RequestInit
  if (/^https?:\/\//.test(src)) {
    init = { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: src }) }
  } else {
    try {
      if (!(await stat(src)).isFile()) throw new Error('not a file')
    } catch {
      throw new CliError(`cannot read ${src} (give a file or an http(s) URL)`)
    }
    params.set('source', basename(src))
    init = {
      headers: { 'content-type': TYPES[src.split('.').pop()?.toLowerCase() ?? ''] ?? 'text/turtle' },
      body: await readFile(src, 'utf8')
    }
  }
  const bar = quiet
    ? undefined
    : new cliProgress.SingleBar(
        { stream: process.stderr, format: 'Import {bar} Seite {page} · {value} Datensätze gelesen', barsize: 20 },
        cliProgress.Presets.shades_classic
      )
  bar?.start(1, 0, { page: 0 })
  let report: ImportReportAnswer | undefined
  let records = 0
  type ImportLine = { type: 'page'; page: number; records: number } | ({ type: 'report' } & ImportReportAnswer)
  try {
    for await (const msg of client.lines<ImportLine>(`/api/v1/import?${params.toString()}`, { ...init, method: 'POST', admin: true })) {
      if (msg.type === 'page') {
        records += msg.records
        bar?.setTotal(records + 1)
        bar?.update(records, { page: msg.page })
      } else {
        report = msg
      }
    }
  } catch (err) {
    throw err instanceof CliError ? new CliError(`import failed: ${err.message}`) : err
  } finally {
    bar?.stop()
  }
  if (report === undefined) throw new CliError('import ended without a report')
  const { type: _type, ...rest } = report as ImportReportAnswer & { type?: string }
  return rest
}
