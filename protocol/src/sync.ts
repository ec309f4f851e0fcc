import { z } from 'zod'
import { CodecError, decodeFrame, encodeFrame, MAX_FRAME_BYTES } from './codec.js'
import { MAX_ENTRY_BYTES } from './entry.js'
import { peerIdSchema } from './identifiers.js'

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


/** Highest contiguous sequence number held, per publisher. */
export const versionVectorSchema = z.record(peerIdSchema, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
  .refine(v => Object.keys(v).length <= MAX_VERSION_VECTOR_PUBLISHERS, { message: 'too many publishers' })
export type VersionVector = z.infer<typeof versionVectorSchema>

export const syncRequestSchema = z.strictObject({
  type: z.literal('sync-request'),
  have: versionVectorSchema
})
export type SyncRequest = z.infer<typeof syncRequestSchema>

export const syncPageSchema = z.strictObject({
  type: z.literal('sync-page'),
  entries: z.array(z.string().max(MAX_ENTRY_BYTES)).max(MAX_SYNC_PAGE_ENTRIES),
  /** True on the last page. */
  done: z.boolean(),
  /** On the first page: how many entries this stream will carry in all (for progress). */
  remaining: z.number().int().min(0).optional()
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
export function decodeGossipEntry (data: Uint8Array): string {
  if (data.byteLength > MAX_ENTRY_BYTES) throw new CodecError('gossip message too large')
  try {
    return decoder.decode(data)
  } catch {
    throw new CodecError('gossip message is not UTF-8')
  }
}
export const encodeGossipEntry = (jws: string): Uint8Array => encoder.encode(jws)
