// The request/response protocols this node serves, one descriptor each (as
// Lodestar's reqresp keeps them): protocol id, stream limits and timeout.
// Catalog sync and gossip keep theirs in replication/constants.ts.
import { DATA_QUERY_PROTOCOL, FETCH_PROTOCOL, SEARCH_PROTOCOL } from '@swf/protocol'

export interface ServedProtocol {
  /** The libp2p protocol id. */
  id: string
  /** libp2p's limit of this protocol's inbound streams, all peers together. */
  maxInboundStreams: number
  /** Streams one peer may have under way at once, over all its connections; none: no limit of its own. */
  maxPerPeer?: number
  /** A served request, from its first byte to the last of the answer. */
  timeoutMs: number
}

/** A served request/response, first byte to last, unless its descriptor says otherwise. */
export const REQUEST_TIMEOUT_MS = 10_000

export const SEARCH: ServedProtocol = { id: SEARCH_PROTOCOL, maxInboundStreams: 8, maxPerPeer: 4, timeoutMs: REQUEST_TIMEOUT_MS }

/** Data queries run on the serving node's files with a CPU budget each: two per peer at once. */
export const DATA_QUERY: ServedProtocol = { id: DATA_QUERY_PROTOCOL, maxInboundStreams: 4, maxPerPeer: 2, timeoutMs: REQUEST_TIMEOUT_MS }

/** Per frame: opening the stream, the request, the header, each chunk. */
export const FETCH_FRAME_TIMEOUT_MS = 30_000
/** File transfers stream as long as they progress; the per-frame timeout and the progress window bound them. */
export const FETCH: ServedProtocol = { id: FETCH_PROTOCOL, maxInboundStreams: 8, timeoutMs: FETCH_FRAME_TIMEOUT_MS }
/** A fetch must receive at least MIN_FETCH_WINDOW_BYTES in every window of this length… */
export const FETCH_PROGRESS_WINDOW_MS = 10_000
/** …i.e. 25.6 KiB/s: a byte every 25 s no longer keeps a fetch alive for hours. */
export const MIN_FETCH_WINDOW_BYTES = 256 * 1024

/** How long a federated search or data query waits for the other nodes, unless the asker says. */
export const DEFAULT_FEDERATED_DEADLINE_MS = 2_000
/** Nodes asked at once by one federated search or data query. */
export const FEDERATION_CONCURRENCY = 32

/**
 * libp2p pings every connection this often and drops it when the ping fails
 * (its default: 10 s). A Kommune's catalog traffic is sparse and closed TCP
 * connections are noticed at once; the pings were a third of an idle node's CPU
 * (60 nodes in one process: 0.47 % CPU per node, pings and their I/O most of it).
 */
export const CONNECTION_PING_INTERVAL_MS = 60_000
