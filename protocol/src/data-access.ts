import { z } from 'zod'
import { decodeFrame, encodeFrame } from './codec.js'
import { bboxSchema } from './dataset.js'
import { sha256HexSchema, slugSchema } from './identifiers.js'
import { DATA_THEMES } from './vocabularies.js'

// Data stays where it is. A federated data query runs at each publisher's
// node over its own CSV and GeoJSON files and returns matching rows and
// features only; a fetch streams one file by content hash from whoever holds it.

export const DATA_QUERY_PROTOCOL = '/swf/data-query/1.0.0'
export const FETCH_PROTOCOL = '/swf/fetch/1.0.0'
export const MAX_DATA_QUERY_LIMIT = 1000
/** Raw file bytes per fetch frame. */
export const FETCH_CHUNK_BYTES = 256 * 1024

export const whereClauseSchema = z.strictObject({
  field: z.string().min(1).max(100),
  op: z.enum(['eq', 'contains']),
  value: z.string().max(200)
})
export type WhereClause = z.infer<typeof whereClauseSchema>

export const dataQuerySchema = z
  .strictObject({
    /** Point or feature geometry must intersect this WGS84 bbox. */
    bbox: bboxSchema.optional(),
    /** Attribute conditions, all must hold: eq (exact) or contains (case-insensitive). */
    where: z.array(whereClauseSchema).max(10).default([]),
    /** Which datasets to look into (all CSV/GeoJSON files of the node when absent). */
    datasetId: slugSchema.optional(),
    theme: z.enum(DATA_THEMES).optional(),
    keyword: z.string().min(1).max(100).optional(),
    /** Rows and features per node. */
    limit: z.number().int().min(1).max(MAX_DATA_QUERY_LIMIT).default(100)
  })
  .refine(q => q.bbox !== undefined || q.where.length > 0 || q.datasetId !== undefined, {
    message: 'a data query needs bbox, where or datasetId',
    path: ['bbox']
  })
export type DataQuery = z.infer<typeof dataQuerySchema>
export type DataQueryInput = z.input<typeof dataQuerySchema>

const recordSchema = z.record(z.string(), z.unknown())

export const dataMatchSchema = z.strictObject({
  datasetId: slugSchema,
  distributionId: slugSchema,
  format: z.enum(['CSV', 'GEOJSON']),
  /** A CSV row (header → value) or a GeoJSON Feature. */
  row: recordSchema.optional(),
  feature: recordSchema.optional()
})
export type DataMatch = z.infer<typeof dataMatchSchema>

export const dataQueryRequestSchema = z.strictObject({ type: z.literal('data-query'), query: dataQuerySchema })
export const dataQueryResponseSchema = z.strictObject({
  type: z.literal('data-result'),
  matches: z.array(dataMatchSchema).max(MAX_DATA_QUERY_LIMIT),
  /** More matched than `limit` (or than fits a frame). */
  truncated: z.boolean()
})
export type DataQueryRequest = z.infer<typeof dataQueryRequestSchema>
export type DataQueryResponse = z.infer<typeof dataQueryResponseSchema>

export const fetchRequestSchema = z.strictObject({ type: z.literal('fetch'), sha256: sha256HexSchema })
export const fetchHeaderSchema = z.strictObject({
  type: z.literal('fetch-header'),
  status: z.enum(['ok', 'not-found']),
  /** Bytes that follow in raw frames of at most FETCH_CHUNK_BYTES, then the stream closes. */
  size: z.number().int().min(0).optional()
})
export type FetchRequest = z.infer<typeof fetchRequestSchema>
export type FetchHeader = z.infer<typeof fetchHeaderSchema>

export const encodeDataQueryRequest = (m: DataQueryRequest): Uint8Array => encodeFrame(m)
export const decodeDataQueryRequest = (b: Uint8Array): DataQueryRequest => decodeFrame(dataQueryRequestSchema, b)
export const encodeDataQueryResponse = (m: DataQueryResponse): Uint8Array => encodeFrame(m)
export const decodeDataQueryResponse = (b: Uint8Array): DataQueryResponse => decodeFrame(dataQueryResponseSchema, b)
export const encodeFetchRequest = (m: FetchRequest): Uint8Array => encodeFrame(m)
export const decodeFetchRequest = (b: Uint8Array): FetchRequest => decodeFrame(fetchRequestSchema, b)
export const encodeFetchHeader = (m: FetchHeader): Uint8Array => encodeFrame(m)
export const decodeFetchHeader = (b: Uint8Array): FetchHeader => decodeFrame(fetchHeaderSchema, b)
