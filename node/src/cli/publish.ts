import { createReadStream, statSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { Readable } from 'node:stream'
import { slugify } from '../../../protocol/src/index.js'
import { NodeClient, CliError } from './client.js'

export interface PublishOptions {
  title: string
  license: string
  description?: string
  id?: string
  theme: string[]
  keyword: string[]
  format?: string
  mediaType?: string
}

const MEDIA_TYPES: Record<string, string> = {
  '.csv': 'text/csv', '.geojson': 'application/geo+json', '.json': 'application/json', '.pdf': 'application/pdf',
  '.zip': 'application/zip', '.xml': 'application/xml', '.txt': 'text/plain', '.kml': 'application/vnd.google-earth.kml+xml',
  '.gml': 'application/gml+xml', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet', '.png': 'image/png', '.jpg': 'image/jpeg', '.glb': 'model/gltf-binary'
}

/** Creates the dataset (or updates it when the id exists) and uploads the file as its distribution. */
export async function publishFile (client: NodeClient, file: string, o: PublishOptions): Promise<any> {
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new Error('not a file')
    size = st.size
  } catch {
    throw new CliError(`cannot read file ${file}`)
  }
  const id = o.id ?? slugify(o.title)
  const metadata = {
    id,
    title: o.title,
    description: o.description ?? o.title,
    license: o.license,
    themes: o.theme,
    keywords: o.keyword
  }
  const exists = await client.request(`/api/v1/datasets/${id}`).then(() => true, (err: Error) => {
    if (/^404 /.test(err.message)) return false
    throw err
  })
  await client.request(exists ? `/api/v1/datasets/${id}` : '/api/v1/datasets', {
    method: exists ? 'PUT' : 'POST',
    admin: true,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata)
  })
  const ext = extname(file).toLowerCase()
  const distId = slugify(basename(file, ext)) + (ext === '' ? '' : `-${ext.slice(1)}`)
  const params = new URLSearchParams({ title: basename(file) })
  if (o.format !== undefined) params.set('format', o.format)
  return client.request(`/api/v1/datasets/${id}/distributions/${distId}?${params}`, {
    method: 'PUT',
    admin: true,
    headers: { 'content-type': o.mediaType ?? MEDIA_TYPES[ext] ?? 'application/octet-stream', 'content-length': String(size) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half'
  } as RequestInit & { admin: boolean })
}
