import type { Context } from 'hono'
import { z } from 'zod'
import { searchQuerySchema, type SearchQuery } from '@swf/protocol'
import { ValidationError } from '../errors.js'
import { bboxFromText } from '../spatial/extent.js'

const LIST_PARAMS = ['publisher', 'theme', 'keyword', 'license', 'format'] as const

/** Control characters other than tab/newline: a query has no use for them. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g

/** Reads a bbox "minLon,minLat,maxLon,maxLat". */
export function parseBbox(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined
  const bbox = bboxFromText(raw)
  if (bbox === undefined) throw new ValidationError('bbox', 'bbox is minLon,minLat,maxLon,maxLat in decimal degrees')
  return bbox
}

/** A query-string part decoded, or undefined when its percent-encoding is not UTF-8. */
function decodePart(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/**
 * A parameter whose percent-encoding is not UTF-8 (`q=%FF%FE`): hono keeps
 * such a value as it came, which would search for the literal text "%FF%FE".
 * Refused instead, naming the parameter.
 */
function refuseUndecodable(url: string): void {
  const start = url.indexOf('?')
  if (start === -1) return
  for (const pair of url.slice(start + 1).split('&')) {
    const eq = pair.indexOf('=')
    const raw = eq === -1 ? pair : pair.slice(0, eq)
    const name = decodePart(raw) ?? raw
    if (decodePart(raw) === undefined || (eq !== -1 && decodePart(pair.slice(eq + 1)) === undefined))
      throw new ValidationError(name, `${name} is not valid percent-encoded UTF-8`)
  }
}

/**
 * Query string → SearchQuery. Repeated parameters (or comma lists) are OR
 * within one filter; different filters are ANDed.
 */
export function readSearchQuery(c: Context): SearchQuery {
  refuseUndecodable(c.req.url)
  const raw: Record<string, unknown> = {}
  for (const name of LIST_PARAMS) {
    const values = (c.req.queries(name) ?? [])
      .flatMap(v => v.split(','))
      .map(v => v.trim())
      .filter(v => v !== '')
    if (values.length > 0) raw[name] = values
  }
  const q = c.req.query('q')
  if (q !== undefined) raw.q = q.replace(CONTROL, ' ')
  for (const name of ['ags', 'modifiedSince', 'cursor'] as const) {
    const v = c.req.query(name)
    if (v !== undefined && v !== '') raw[name] = v
  }
  const bbox = parseBbox(c.req.query('bbox'))
  if (bbox !== undefined) raw.bbox = bbox
  const limit = c.req.query('limit')
  if (limit !== undefined) raw.limit = /^\d+$/.test(limit) ? Number(limit) : limit
  const r = searchQuerySchema.safeParse(raw)
  if (!r.success) throw ValidationError.fromZod(r.error)
  return r.data
}

export const scopeSchema = z.enum(['local', 'federated'])
