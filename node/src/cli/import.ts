import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { CliError, type NodeClient } from './client.js'

const TYPES: Record<string, string> = { ttl: 'text/turtle', rdf: 'application/rdf+xml', xml: 'application/rdf+xml', jsonld: 'application/ld+json', json: 'application/ld+json' }

/** Sends a catalog (URL, or a file's content) to the node's admin import endpoint. */
export async function importCatalog (client: NodeClient, src: string, prune: boolean): Promise<any> {
  const params = new URLSearchParams({ prune: String(prune) })
  if (/^https?:\/\//.test(src)) {
    return client.request(`/api/v1/import?${params}`, { method: 'POST', admin: true, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: src }) })
  }
  try {
    if (!(await stat(src)).isFile()) throw new Error('not a file')
  } catch {
    throw new CliError(`cannot read ${src} (give a file or an http(s) URL)`)
  }
  params.set('source', basename(src))
  const ext = src.split('.').pop()?.toLowerCase() ?? ''
  return client.request(`/api/v1/import?${params}`, {
    method: 'POST',
    admin: true,
    headers: { 'content-type': TYPES[ext] ?? 'text/turtle' },
    body: await readFile(src, 'utf8')
  })
}
