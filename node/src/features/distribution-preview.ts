import { open } from 'node:fs/promises'
import { parse as parseCsvText } from 'csv-parse/sync'
import type { DatasetMetadata, Distribution } from '@swf/protocol'
import { csvDelimiter } from '../spatial/extent.js'
import { CRS84 } from '../spatial/crs.js'
import type { Feature } from './feature-file.js'
import { FEATURE_FORMATS, type FeatureCollections } from './feature-collections.js'

// What a dataset page shows of a file: its features on a map and, for a CSV,
// its first rows as a table. Read from the node's own copy; a neighbour's
// file is fetched for it only while it is small.

/** Features drawn at most: a map of more shows no more to the eye. */
export const PREVIEW_FEATURES = 2_000
/** Rows of a CSV shown as a table. */
export const PREVIEW_ROWS = 20
/** A file not held here is fetched for a preview only up to this size. */
export const PREVIEW_FETCH_BYTES = 8 * 1024 * 1024
/** Bytes read from the head of a CSV for its table. */
const TABLE_HEAD_BYTES = 256 * 1024

export interface DistributionPreview {
  distributionId: string
  /** The first features (CRS84) and how many the file holds. */
  features?: { items: Feature[]; total: number }
  table?: { header: string[]; rows: string[][] }
  /** Why there is no preview (file too large to fetch, not reachable, no coordinates). */
  note?: string
}

export class DistributionPreviews {
  constructor(
    private readonly collections: FeatureCollections,
    private readonly heldPath: (sha256: string) => Promise<string | undefined>
  ) {}

  /** Previews of a dataset's CSV, GeoJSON, KML and GPX files; never throws (a failed preview is a note). */
  async of(publisher: string, kommune: string | null, dataset: DatasetMetadata): Promise<DistributionPreview[]> {
    const out: DistributionPreview[] = []
    for (const dist of dataset.distributions) {
      if (dist.sha256 === undefined || !(FEATURE_FORMATS as readonly string[]).includes(dist.format)) continue
      out.push(await this.#preview(publisher, kommune, dataset, dist as Distribution & { sha256: string }))
    }
    return out
  }

  async #preview(
    publisher: string,
    kommune: string | null,
    dataset: DatasetMetadata,
    dist: Distribution & { sha256: string }
  ): Promise<DistributionPreview> {
    const preview: DistributionPreview = { distributionId: dist.id }
    const held = await this.heldPath(dist.sha256)
    if (held === undefined && (dist.byteSize ?? 0) > PREVIEW_FETCH_BYTES) {
      return {
        ...preview,
        note: 'Die Datei ist zu groß für eine Vorschau; sie liegt beim Knoten der Kommune und wird beim Herunterladen geholt.'
      }
    }
    const collection = this.collections.forDistribution(publisher, kommune, dataset, dist.id)
    try {
      const page = await this.collections.items(collection, { properties: [], limit: PREVIEW_FEATURES, offset: 0, crs: CRS84 })
      preview.features = { items: page.features, total: page.numberMatched }
    } catch (err) {
      preview.note = `Keine Kartenvorschau: ${(err as Error).message}`
    }
    if (dist.format === 'CSV') {
      const path = held ?? (await this.heldPath(dist.sha256))
      if (path !== undefined) preview.table = await csvHead(path, PREVIEW_ROWS).catch(() => undefined)
    }
    return preview
  }
}

/** The header and first rows of a CSV, as text. */
export async function csvHead(path: string, rows: number): Promise<{ header: string[]; rows: string[][] }> {
  const fh = await open(path, 'r')
  let text: string
  try {
    const buf = Buffer.alloc(TABLE_HEAD_BYTES)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    text = buf.toString('utf8', 0, bytesRead)
  } finally {
    await fh.close()
  }
  // Whole lines only: the last one may be cut.
  const cut = text.lastIndexOf('\n')
  if (cut > 0 && text.length === TABLE_HEAD_BYTES) text = text.slice(0, cut)
  const parsed: string[][] = parseCsvText(text, {
    delimiter: csvDelimiter(text),
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    trim: true,
    to_line: rows + 1
  })
  return { header: parsed[0] ?? [], rows: parsed.slice(1) }
}
