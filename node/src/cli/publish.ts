import { randomBytes } from 'node:crypto'
import { createReadStream, statSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { Readable } from 'node:stream'
import { slugify, type BBox } from '@swf/protocol'
import { bboxFromText, extentOfFile } from '../spatial/extent.js'
import { NodeClient, CliError } from './client.js'
import type { OwnDataset, UploadAnswer } from '../http/response-schemas.js'

export interface PublishOptions {
  title?: string
  license?: string
  description?: string
  id?: string
  theme: string[]
  keyword: string[]
  format?: string
  mediaType?: string
  /** "minLon,minLat,maxLon,maxLat"; default: the extent of a CSV or GeoJSON file. */
  bbox?: string
  ags?: string
  /** Put the file in place of this distribution (it may have another name). */
  replace?: string
  /** Add the file next to the dataset's other files. */
  add?: boolean
}

const MEDIA_TYPES: Record<string, string> = {
  '.csv': 'text/csv',
  '.geojson': 'application/geo+json',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.xml': 'application/xml',
  '.txt': 'text/plain',
  '.kml': 'application/vnd.google-earth.kml+xml',
  '.gml': 'application/gml+xml',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.glb': 'model/gltf-binary'
}

/** Fields the node sets itself; an update sends the rest back unchanged (the distributions are kept, the file's is added). */
const SERVER_FIELDS = ['distributions', 'modified'] as const

/**
 * Creates the dataset, or updates it when the id exists: an update changes
 * only what the command names (title, licence, themes, …) and puts the file
 * in place of the distribution of the same name. A file of another name is
 * added or replaces one only when asked (--add, --replace).
 */
export async function publishFile(client: NodeClient, file: string, o: PublishOptions): Promise<UploadAnswer> {
  const size = fileSize(file)
  if (size === 0) throw new CliError(`${file} is empty (0 bytes): nothing to publish`)
  if (o.title === undefined && o.id === undefined) throw new CliError('--title is required (or --id of an existing dataset)')
  const id = o.id ?? slugify(o.title!)
  const ext = extname(file).toLowerCase()
  const explicitBbox = o.bbox === undefined ? undefined : parseBbox(o.bbox)

  const current = await client.request<OwnDataset>(`/api/v1/datasets/${encodeURIComponent(id)}`).then(
    v => v.dataset,
    (err: unknown) => {
      if (err instanceof CliError && err.message.startsWith('404 ')) return undefined
      throw err
    }
  )
  const files = current?.distributions.filter(d => d.sha256 !== undefined) ?? []
  const distId = o.replace ?? slugify(basename(file, ext)) + (ext === '' ? '' : `-${ext.slice(1)}`)
  if (o.replace !== undefined && !files.some(d => d.id === o.replace)) {
    throw new CliError(`--replace ${o.replace}: dataset ${id} has no such file (its files: ${files.map(d => d.id).join(', ') || 'none'})`)
  }
  if (current !== undefined && o.replace === undefined && o.add !== true && files.length > 0 && !files.some(d => d.id === distId)) {
    throw new CliError(
      `dataset ${id} already has ${files.map(d => `${d.id} (${d.title})`).join(', ')}; --replace ${files[0]!.id} puts this file in its place, --add adds it as another file`
    )
  }
  // The file's own extent, when the command names none and the file is (or becomes) the dataset's only file.
  const onlyFile = files.every(d => d.id === distId)
  const derived =
    explicitBbox === undefined &&
    (current?.spatial?.bbox === undefined || onlyFile) &&
    (ext === '.csv' || ext === '.geojson' || ext === '.json')
      ? await extentOfFile(file, ext === '.csv' ? 'CSV' : 'GEOJSON').catch(() => undefined)
      : undefined
  const bbox = explicitBbox ?? derived
  const spatial =
    bbox === undefined && o.ags === undefined
      ? undefined
      : { ...current?.spatial, ...(bbox === undefined ? {} : { bbox }), ...(o.ags === undefined ? {} : { ags: o.ags }) }

  // The metadata and the file go in one request: the node checks both before it stores the file and signs one entry
  // for both, so a refused file (a format it cannot name, too large, cut off) leaves no dataset without it behind.
  let metadata: Record<string, unknown>
  if (current === undefined) {
    if (o.title === undefined) throw new CliError(`no dataset ${id} yet: --title is required to create it`)
    if (o.license === undefined) throw new CliError(`no dataset ${id} yet: --license is required to create it, e.g. dl-by-de/2.0`)
    metadata = {
      id,
      title: o.title,
      description: o.description ?? o.title,
      license: o.license,
      themes: o.theme,
      keywords: o.keyword,
      ...(spatial === undefined ? {} : { spatial })
    }
  } else {
    const kept = Object.fromEntries(Object.entries(current).filter(([k]) => !(SERVER_FIELDS as readonly string[]).includes(k)))
    metadata = {
      ...kept,
      ...(o.title === undefined ? {} : { title: o.title }),
      ...(o.description === undefined ? {} : { description: o.description }),
      ...(o.license === undefined ? {} : { license: o.license }),
      ...(o.theme.length === 0 ? {} : { themes: o.theme }),
      ...(o.keyword.length === 0 ? {} : { keywords: o.keyword }),
      ...(spatial === undefined ? {} : { spatial })
    }
  }
  const params = new URLSearchParams({ distributionId: distId, title: basename(file) })
  if (o.format !== undefined) params.set('format', o.format)
  const form = multipartBody(metadata, file, size, o.mediaType ?? MEDIA_TYPES[ext] ?? 'application/octet-stream')
  return client.request<UploadAnswer>(
    current === undefined ? `/api/v1/datasets?${params.toString()}` : `/api/v1/datasets/${encodeURIComponent(id)}?${params.toString()}`,
    {
      method: current === undefined ? 'POST' : 'PUT',
      admin: true,
      headers: { 'content-type': form.contentType, 'content-length': String(form.length) },
      body: Readable.toWeb(Readable.from(form.chunks())) as ReadableStream,
      duplex: 'half'
    }
  )
}

/** multipart/form-data with the metadata, then the file streamed from disk (never whole in memory). */
function multipartBody(
  metadata: Record<string, unknown>,
  file: string,
  size: number,
  mediaType: string
): { contentType: string; length: number; chunks: () => AsyncIterable<Uint8Array> } {
  const boundary = `swf-${randomBytes(16).toString('hex')}`
  // As browsers write a file name: quotes and line breaks percent-encoded.
  const fileName = basename(file).replace(/["\r\n]/g, ch => encodeURIComponent(ch))
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(metadata)}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: ${mediaType}\r\n\r\n`
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + size + tail.length,
    chunks: async function* () {
      yield head
      yield* createReadStream(file) as AsyncIterable<Buffer>
      yield tail
    }
  }
}

function fileSize(file: string): number {
  try {
    const st = statSync(file)
    if (st.isFile()) return st.size
  } catch {
    // missing or unreadable: the same message as a directory
  }
  throw new CliError(`cannot read file ${file}`)
}

/** "minLon,minLat,maxLon,maxLat" (the node checks the ranges and the order). */
function parseBbox(value: string): BBox {
  const bbox = bboxFromText(value)
  if (bbox === undefined)
    throw new CliError(`--bbox must be minLon,minLat,maxLon,maxLat in WGS84 degrees, e.g. 7.5,51.2,8.3,51.7 (got "${value}")`)
  return bbox
}
