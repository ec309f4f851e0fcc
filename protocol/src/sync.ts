import { z } from 'zod'
import { CodecError, decodeFrame, encodeFrame, MAX_FRAME_BYTES } from './codec.js'
import { MAX_ENTRY_BYTES } from './entry.js'
import { peerIdSchema, sha256HexSchema } from './identifiers.js'

// Catalog sync over libp2p. Push: every entry is published on a gossipsub
// topic as its compact JWS bytes. Pull (anti-entropy): a request/response
// protocol; the asker sends its version vector, the responder streams back
// length-prefixed pages of entries the asker lacks.

export const CATALOG_TOPIC = 'swf/catalog/1'
export const SYNC_PROTOCOL = '/swf/catalog-sync/1.0.0'

/** Largest length-prefixed frame either side accepts. */
export const MAX_SYNC_FRAME_BYTES = MAX_FRAME_BYTES
/** Entries per page the responder sends at most (and the asker accepts). */
export const MAX_SYNC_PAGE_ENTRIES = 512
export const MAX_VERSION_VECTOR_PUBLISHERS = 10_000
/** Held ranges the asker names per publisher above its watermark (after a gap). */
export const MAX_HELD_RANGES = 64
/** Publishers with held ranges in one request. */
export const MAX_HELD_PUBLISHERS = 1_000
/** Proofs of equivocation on a first page. */
export const MAX_SYNC_PROOFS = 64
/** Bytes of JWS per page the responder loads and sends at most (one entry may exceed it alone). */
export const SYNC_PAGE_BYTES = 1024 * 1024

/** Highest contiguous sequence number held, per publisher. */
export const versionVectorSchema = z
  .record(peerIdSchema, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
  .refine(v => Object.keys(v).length <= MAX_VERSION_VECTOR_PUBLISHERS, { message: 'too many publishers' })
export type VersionVector = z.infer<typeof versionVectorSchema>

const seqSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)

/**
 * Sequence numbers held above the watermark, as inclusive [from, to] ranges:
 * after a gap the responder sends only what lies outside them, never the
 * same entries again on every round.
 */
export const heldRangesSchema = z
  .record(peerIdSchema, z.array(z.tuple([seqSchema, seqSchema])).max(MAX_HELD_RANGES))
  .refine(v => Object.keys(v).length <= MAX_HELD_PUBLISHERS, { message: 'too many publishers' })
export type HeldRanges = z.infer<typeof heldRangesSchema>

/**
 * Per publisher, the highest entry the asker holds: [seq, hash]. A responder
 * holding another entry at that seq sends it along: two logs of one
 * publisher that differ anywhere differ at their tips (prevHash chains
 * them), so equivocation cannot hide behind equal sequence numbers.
 */
export const tipsSchema = z
  .record(peerIdSchema, z.tuple([seqSchema, sha256HexSchema]))
  .refine(v => Object.keys(v).length <= MAX_VERSION_VECTOR_PUBLISHERS, { message: 'too many publishers' })

export const syncRequestSchema = z.strictObject({
  type: z.literal('sync-request'),
  have: versionVectorSchema,
  held: heldRangesSchema.optional(),
  tips: tipsSchema.optional()
})
export type SyncRequest = z.infer<typeof syncRequestSchema>

export const syncPageSchema = z.strictObject({
  type: z.literal('sync-page'),
  entries: z.array(z.string().max(MAX_ENTRY_BYTES)).max(MAX_SYNC_PAGE_ENTRIES),
  /** True on the last page. */
  done: z.boolean(),
  /** On the first page: how many entries this stream will carry in all (for progress). */
  remaining: z.number().int().min(0).optional(),
  /**
   * On the first page: proofs of equivocation the responder holds, each two
   * entries one publisher signed that cannot both stand. Spreads them to
   * every node by anti-entropy.
   */
  proofs: z
    .array(z.tuple([z.string().max(MAX_ENTRY_BYTES), z.string().max(MAX_ENTRY_BYTES)]))
    .max(MAX_SYNC_PROOFS)
    .optional()
})
export type SyncPage = z.infer<typeof syncPageSchema>

/**
 * Flow control: after each page that is not the last, the asker sends this
 * once it has stored the page; only then does the responder send the next.
 * Without it pages pile up in the asker's read buffer while it verifies.
 */
export const syncNextSchema = z.strictObject({ type: z.literal('sync-next') })
export type SyncNext = z.infer<typeof syncNextSchema>

export const encodeSyncMessage = (msg: SyncRequest | SyncPage | SyncNext): Uint8Array => encodeFrame(msg)
export const decodeSyncNext = (bytes: Uint8Array): SyncNext => decodeFrame(syncNextSchema, bytes)
export const decodeSyncRequest = (bytes: Uint8Array): SyncRequest => decodeFrame(syncRequestSchema, bytes)
export const decodeSyncPage = (bytes: Uint8Array): SyncPage => decodeFrame(syncPageSchema, bytes)

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** A gossip message is the entry's compact JWS, ASCII. */
export function decodeGossipEntry(data: Uint8Array): string {
  if (data.byteLength > MAX_ENTRY_BYTES) throw new CodecError('gossip message too large')
  try {
    return decoder.decode(data)
  } catch {
    throw new CodecError('gossip message is not UTF-8')
  }
}
export const encodeGossipEntry = (jws: string): Uint8Array => encoder.encode(jws)
