import { FORMAT_BY_MEDIA_TYPE, type Distribution } from '@swf/protocol'

const EXTENSIONS: Record<string, string> = { GEOJSON: 'geojson', JSON_LD: 'jsonld', TXT: 'txt', BIN: 'bin' }

// A title that is a plain file name ("strassenschaeden.geojson", as the CLI
// sets it) is the name people know; no path parts, control or quote characters.
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const FILE_NAME = /^[^/\\:*?"<>|\u0000-\u001f\u007f]{1,200}\.[A-Za-z0-9]{1,10}$/

/** The download file name of a distribution: its original file name when its title is one, else its id plus a format extension. */
export function fileNameOf(dist: Pick<Distribution, 'id' | 'format'> & { title?: string }): string {
  const title = dist.title?.trim()
  if (title !== undefined && FILE_NAME.test(title) && !title.startsWith('.')) return title
  return `${dist.id}.${EXTENSIONS[dist.format] ?? dist.format.toLowerCase()}`
}

/** A Content-Disposition value that carries any file name: ASCII fallback plus RFC 5987 `filename*`. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_')
  return ascii === fileName
    ? `attachment; filename="${fileName}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
}

/**
 * Where a distribution's file is downloaded from this node: the node's own
 * files under /api/v1/datasets, others' (fetched and verified) under
 * /api/v1/catalog. The path ends in the file's name with its extension, so
 * that clients which pick a reader by extension (GDAL) open it as it is.
 */
export function downloadPath(
  self: string,
  publisher: string,
  dataset: { id: string; distributions: Array<Pick<Distribution, 'id' | 'format' | 'title'>> },
  distId: string
): string {
  const dist = dataset.distributions.find(d => d.id === distId)
  const name = encodeURIComponent(dist === undefined ? 'file' : fileNameOf(dist))
  return publisher === self
    ? `/api/v1/datasets/${dataset.id}/distributions/${distId}/${name}`
    : `/api/v1/catalog/${publisher}/${dataset.id}/distributions/${distId}/${name}`
}

/** Media types that say nothing about a file: a download is served with its format's type instead. */
const GENERIC_MEDIA_TYPES = new Set([
  'application/octet-stream',
  'binary/octet-stream',
  'application/x-download',
  'application/force-download'
])
/** The first media type listed for each EU file-type code. */
const MEDIA_TYPE_BY_FORMAT: Record<string, string> = Object.fromEntries(
  Object.entries(FORMAT_BY_MEDIA_TYPE)
    .reverse()
    .map(([type, format]) => [format, type])
)

/** The media type a download is served with: the signed one, unless it is generic and the format names a better one. */
export function servedMediaType(dist: Pick<Distribution, 'format' | 'mediaType'>): string {
  return GENERIC_MEDIA_TYPES.has(dist.mediaType.toLowerCase()) ? (MEDIA_TYPE_BY_FORMAT[dist.format] ?? dist.mediaType) : dist.mediaType
}
