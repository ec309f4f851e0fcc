import type { Distribution } from '../../protocol/src/index.js'

const EXTENSIONS: Record<string, string> = { GEOJSON: 'geojson', JSON_LD: 'jsonld', TXT: 'txt', BIN: 'bin' }

/** The download file name of a distribution: its id plus an extension from its format. */
export function fileNameOf (dist: Pick<Distribution, 'id' | 'format'>): string {
  return `${dist.id}.${EXTENSIONS[dist.format] ?? dist.format.toLowerCase()}`
}
