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
 * Sequence numbers a pull walks back at a time where two logs of a publisher
 * part (equivocation over many seqs): each step re-reads at most this many
 * entries of that publisher, so a fork costs bounded pulls to find.
 */
export const WALK_BACK_SEQS = 64
/** Pulls in a row from one peer while walking back (each bounded by WALK_BACK_SEQS). */
export const MAX_WALK_PULLS = 64

/** Catalog sync as a served protocol: a page in flight per stream, so few streams. */
export const SYNC: ServedProtocol = {
  id: SYNC_PROTOCOL,
  maxInboundStreams: MAX_SYNC_STREAMS_PER_PEER,
  maxPerPeer: MAX_SYNC_STREAMS_PER_PEER,
  timeoutMs: SYNC_PAGE_TIMEOUT_MS
}
