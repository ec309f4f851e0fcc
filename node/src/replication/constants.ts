// Limits and timeouts of catalog replication (sync and gossip), in one place
// as js-libp2p's protocols keep theirs: a reader sees every bound a peer meets.
import { SYNC_PROTOCOL } from '@swf/protocol'
import type { ServedProtocol } from '../p2p/constants.js'

/** Opening a sync stream and reading the asker's request. */
export const SYNC_REQUEST_TIMEOUT_MS = 10_000
/** Each page after that, in either direction. */
export const SYNC_PAGE_TIMEOUT_MS = 30_000
/**
 * Sync streams one peer may have served at once, over all its connections:
 * each holds a page in memory, and 320 streams opened and never read once
 * took a node to 3.8 GB.
 */
export const MAX_SYNC_STREAMS_PER_PEER = 2
/** Bytes of proofs of equivocation on a first page. */
export const SYNC_PROOF_BYTES = 1024 * 1024

/**
 * The first window of sequence numbers a pull asks for again where two logs
 * of a publisher part (equivocation): each later window, further down, is
 * twice as wide, up to MAX_WALK_WINDOW, so walking a log of n entries down
 * to seq 1 re-reads it once in about log2(n / 64) pulls.
 */
export const WALK_BACK_SEQS = 64
export const MAX_WALK_WINDOW = 65_536
/** Pulls in a row from one peer while walking back (the rest follow with the next anti-entropy rounds). */
export const MAX_WALK_PULLS = 64

/** Catalog sync as a served protocol: a page in flight per stream, so few streams. */
export const SYNC: ServedProtocol = {
  id: SYNC_PROTOCOL,
  maxInboundStreams: MAX_SYNC_STREAMS_PER_PEER,
  maxPerPeer: MAX_SYNC_STREAMS_PER_PEER,
  timeoutMs: SYNC_PAGE_TIMEOUT_MS
}
