import { z } from 'zod'
import { decodeFrame, encodeFrame } from './codec.js'
import { agsSchema, peerIdSchema } from './identifiers.js'
import { bboxSchema, isoDateSchema, licenseSchema } from './dataset.js'
import { MAX_ENTRY_BYTES } from './entry.js'
import { DATA_THEMES } from './vocabularies.js'

// Catalog search: the query every node understands, locally (HTTP) and
// federated (SEARCH_PROTOCOL), and the folding that makes German text meet.

export const SEARCH_PROTOCOL = '/swf/search/1.0.0'
export const MAX_QUERY_TEXT = 500
export const MAX_QUERY_TERMS = 20
export const MAX_SEARCH_LIMIT = 100

const many = <T extends z.ZodType>(item: T) => z.array(item).max(50).optional()

export const searchQuerySchema = z.strictObject({
  /** Free text: words are ANDed, each a prefix ("Radweg" finds "Radwege"). */
  q: z
    .string()
    .max(MAX_QUERY_TEXT, { message: `at most ${MAX_QUERY_TEXT} characters` })
    .optional(),
  publisher: many(peerIdSchema),
  /** The publisher's AGS as the registry lists it (never an AGS a dataset names itself). */
  ags: agsSchema.optional(),
  theme: many(z.enum(DATA_THEMES, { message: `EU data theme, one of ${DATA_THEMES.join(', ')}` })),
  keyword: many(z.string().min(1).max(100)),
  license: many(licenseSchema),
  format: many(z.string().regex(/^[A-Z0-9_]{1,30}$/, { message: 'EU file-type code, e.g. CSV' })),
  /** Datasets whose bbox intersects this one. */
  bbox: bboxSchema.optional(),
  modifiedSince: isoDateSchema.optional(),
  limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).default(20),
  cursor: z.string().max(1000).optional()
})
export type SearchQuery = z.infer<typeof searchQuerySchema>
export type SearchQueryInput = z.input<typeof searchQuerySchema>

const FOLD: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss', Ä: 'Ae', Ö: 'Oe', Ü: 'Ue', ẞ: 'SS' }

/** Umlauts and ß to digraphs, as the index stores text: "Straße" → "Strasse". */
export function foldGerman(text: string): string {
  return text.replace(/[äöüßÄÖÜẞ]/g, ch => FOLD[ch] ?? ch)
}

/**
 * Turns user text into a safe FTS5 MATCH expression: only letters and digits
 * survive, each word becomes a quoted prefix term. No FTS5 syntax (quotes,
 * NEAR, AND, *, parentheses) can leak through. Returns null for no words.
 */
export function toFtsQuery(text: string): string | null {
  const words =
    foldGerman(text)
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  const terms = [...new Set(words.map(w => w.toLowerCase()))].slice(0, MAX_QUERY_TERMS)
  return terms.length === 0 ? null : terms.map(t => `"${t}"*`).join(' ')
}

export const searchRequestSchema = z.strictObject({
  type: z.literal('search'),
  query: searchQuerySchema.omit({ cursor: true })
})
export type SearchRequest = z.infer<typeof searchRequestSchema>

export const searchResponseSchema = z.strictObject({
  type: z.literal('search-result'),
  total: z.number().int().min(0),
  /** Signed entries of the hits, best first, so the asker can verify them. */
  hits: z.array(z.strictObject({ jws: z.string().max(MAX_ENTRY_BYTES), score: z.number() })).max(MAX_SEARCH_LIMIT)
})
export type SearchResponse = z.infer<typeof searchResponseSchema>

export const encodeSearchRequest = (m: SearchRequest): Uint8Array => encodeFrame(m)
export const decodeSearchRequest = (b: Uint8Array): SearchRequest => decodeFrame(searchRequestSchema, b)
export const encodeSearchResponse = (m: SearchResponse): Uint8Array => encodeFrame(m)
export const decodeSearchResponse = (b: Uint8Array): SearchResponse => decodeFrame(searchResponseSchema, b)
