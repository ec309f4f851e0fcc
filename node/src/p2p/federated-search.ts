import type { Logger } from 'pino'
import {
  decodeSearchRequest, decodeSearchResponse, encodeSearchRequest, encodeSearchResponse,
  SEARCH_PROTOCOL, type SearchQuery
} from '../../../protocol/src/index.js'
import type { SearchHit, SearchService } from '../services/search-service.js'
import { fanOut, serveRequestResponse, type NodeAnswerStatus } from './fan-out.js'
import type { Network } from './network.js'

export const DEFAULT_FEDERATED_DEADLINE_MS = 2_000

export interface NodeStatus {
  peerId: string
  kommune: string | null
  status: NodeAnswerStatus | 'local'
  latencyMs: number
  hits: number
  error?: string
}

export interface FederatedSearchResult {
  scope: 'federated'
  items: Array<SearchHit & { foundAt: string[] }>
  total: number
  nodes: NodeStatus[]
}

/**
 * Live federated search: asks every registered node in parallel over
 * SEARCH_PROTOCOL, verifies every hit's signature, merges with the local
 * hits and deduplicates by entry (and by dataset, newest entry wins).
 */
export class FederatedSearch {
  constructor (
    private readonly network: Network,
    private readonly search: SearchService,
    private readonly log: Logger
  ) {}

  async start (): Promise<void> {
    await serveRequestResponse(this.network.host, SEARCH_PROTOCOL, async frame => {
      const { query } = decodeSearchRequest(frame)
      return encodeSearchResponse({ type: 'search-result', total: 0, hits: this.search.rawHits({ ...query, cursor: undefined }) })
    }, this.log, { maxInboundStreams: 8, guard: this.network.guard })
  }

  async query (query: SearchQuery, deadlineMs = DEFAULT_FEDERATED_DEADLINE_MS): Promise<FederatedSearchResult> {
    const t0 = performance.now()
    const local = this.search.search({ ...query, cursor: undefined }, false)
    const self = this.network.peerId
    const merged = new Map<string, SearchHit & { foundAt: string[] }>()
    for (const hit of local.items) merged.set(hit.provenance.entryHash, { ...hit, foundAt: [self] })
    const nodes: NodeStatus[] = [{ peerId: self, kommune: this.network.kommuneOf(self), status: 'local', latencyMs: Math.round(performance.now() - t0), hits: local.items.length }]

    const answers = await fanOut(this.network.host, this.network.remoteTargets(), SEARCH_PROTOCOL,
      encodeSearchRequest({ type: 'search', query: { ...query, cursor: undefined } as never }), decodeSearchResponse,
      { deadlineMs, concurrency: 32 })
    for (const a of answers) {
      let valid = 0
      for (const raw of a.result?.hits ?? []) {
        const hit = await this.#verify(raw.jws, raw.score)
        if (hit === undefined) continue
        valid++
        const seen = merged.get(hit.provenance.entryHash)
        if (seen !== undefined) seen.foundAt.push(a.peerId)
        else merged.set(hit.provenance.entryHash, { ...hit, foundAt: [a.peerId] })
      }
      nodes.push({ peerId: a.peerId, kommune: this.network.kommuneOf(a.peerId), status: a.status, latencyMs: a.latencyMs, hits: valid, ...(a.error === undefined ? {} : { error: a.error }) })
    }
    // Several nodes may hold different versions of one dataset: the newest signed entry wins.
    const newest = new Map<string, SearchHit & { foundAt: string[] }>()
    for (const hit of merged.values()) {
      const key = `${hit.provenance.publisher}/${hit.dataset.id}`
      const other = newest.get(key)
      if (other === undefined || other.provenance.seq < hit.provenance.seq) newest.set(key, hit)
    }
    const items = [...newest.values()].sort((a, b) => (b.score ?? 0) - (a.score ?? 0)).slice(0, query.limit)
    return { scope: 'federated', items, total: newest.size, nodes }
  }

  async #verify (jws: string, score: number): Promise<SearchHit | undefined> {
    const e = await this.network.acceptor.check(jws)
    if ('reason' in e || e.payload.tombstone || e.payload.dataset === undefined) return undefined
    return {
      dataset: e.payload.dataset,
      score,
      provenance: {
        publisher: e.payload.publisher,
        kommune: this.network.kommuneOf(e.payload.publisher),
        seq: e.payload.seq,
        entryHash: e.hash,
        signedAt: e.payload.issuedAt,
        receivedAt: this.network.receivedAt(e.hash),
        publisherOnline: e.payload.publisher === this.network.peerId || this.network.isConnected(e.payload.publisher)
      }
    }
  }
}
