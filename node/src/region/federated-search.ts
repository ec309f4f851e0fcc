import type { Logger } from 'pino'
import {
  decodeSearchRequest,
  decodeSearchResponse,
  encodeSearchRequest,
  encodeSearchResponse,
  jwsKeyId,
  jwsPayloadOf,
  sha256Hex,
  type SearchQuery
} from '@swf/protocol'
import type { EntryAcceptor } from '../replication/entry-acceptor.js'
import type { EntryStore } from '../services/entry-store.js'
import type { SearchHit, SearchService } from '../services/search-service.js'
import { DEFAULT_FEDERATED_DEADLINE_MS, SEARCH } from '../p2p/constants.js'
import { serveRequestResponse } from '../p2p/fan-out.js'
import { federate, type NodeReply, type NodeStatus, type OnNodeAnswer, type RegionComponents } from './federation.js'

/**
 * Reciprocal rank fusion constant: a hit at rank r of one node's answer
 * scores 1 / (RRF_K + r), summed over the nodes that found it. Only the
 * order within each node's answer counts, never the score a node claims
 * (a participant once ranked its hit first with a score of 1e300).
 */
export const RRF_K = 60

export interface FederatedSearchComponents extends RegionComponents {
  search: SearchService
  store: EntryStore
  acceptor: EntryAcceptor
  log: Logger
}

export type FederatedHit = SearchHit & { foundAt: string[] }

export interface FederatedSearchResult {
  scope: 'federated'
  items: FederatedHit[]
  total: number
  nodes: NodeStatus[]
}

/**
 * Live federated search: asks every registered node in parallel over
 * SEARCH_PROTOCOL, verifies every hit's signature, merges with the local
 * hits and deduplicates by entry (and by dataset, newest entry wins).
 */
export class FederatedSearch {
  readonly #c: FederatedSearchComponents

  constructor(components: FederatedSearchComponents) {
    this.#c = components
  }

  async start(): Promise<void> {
    const { host, guard, log, search } = this.#c
    await serveRequestResponse(
      host,
      SEARCH,
      frame => {
        const { query } = decodeSearchRequest(frame)
        const hits = search.rawHits({ ...query, cursor: undefined })
        return Promise.resolve(encodeSearchResponse({ type: 'search-result', total: 0, hits }))
      },
      { guard, log, name: 'search' }
    )
  }

  async stop(): Promise<void> {
    await this.#c.host.unhandle(SEARCH.id)
  }

  /**
   * `onNode` sees each node's status and its verified hits as soon as that
   * node has answered (local first), before the merged result is complete.
   */
  async query(
    query: SearchQuery,
    deadlineMs = DEFAULT_FEDERATED_DEADLINE_MS,
    onNode?: OnNodeAnswer<SearchHit>
  ): Promise<FederatedSearchResult> {
    const merged = new Map<string, FederatedHit>()
    const fused = new Map<string, number>()
    const nodes: NodeStatus[] = []
    const add = (node: NodeReply, hits: SearchHit[]): void => {
      hits.forEach((hit, rank) => {
        const key = hit.provenance.entryHash
        fused.set(key, (fused.get(key) ?? 0) + 1 / (RRF_K + rank + 1))
        const seen = merged.get(key)
        if (seen !== undefined) seen.foundAt.push(node.peerId)
        else merged.set(key, { ...hit, foundAt: [node.peerId] })
      })
      const status = { ...node, hits: hits.length }
      nodes.push(status)
      onNode?.(status, hits)
    }
    await federate(this.#c, {
      protocol: SEARCH.id,
      request: encodeSearchRequest({ type: 'search', query: { ...query, cursor: undefined } as never }),
      decode: decodeSearchResponse,
      deadlineMs,
      local: () => Promise.resolve(this.#c.search.search({ ...query, cursor: undefined }, false).items),
      onLocal: add,
      onRemote: async (node, answer) => {
        add(node, await this.#verified(answer?.hits ?? []))
      }
    })
    // Several nodes may hold different versions of one dataset: the newest signed entry wins.
    const newest = new Map<string, FederatedHit>()
    for (const hit of merged.values()) {
      const key = `${hit.provenance.publisher}/${hit.dataset.id}`
      const other = newest.get(key)
      if (other === undefined || other.provenance.seq < hit.provenance.seq) newest.set(key, hit)
    }
    const items = [...newest.values()]
      .map(hit => ({
        ...hit,
        score: query.q === undefined || query.q.trim() === '' ? hit.score : (fused.get(hit.provenance.entryHash) ?? 0)
      }))
      .sort((a, b) => (b.score ?? 0) - (a.score ?? 0) || b.provenance.signedAt.localeCompare(a.provenance.signedAt))
      .slice(0, query.limit)
    return { scope: 'federated', items, total: newest.size, nodes }
  }

  /**
   * A remote hit stands only if it verifies and is not older than what this
   * node holds of the dataset: an old signed entry must not bring back a
   * dataset its publisher changed or deleted since. Entries this node holds
   * already (same hash) need no second signature check; the others of one
   * answer are checked together on the signature pool.
   */
  async #verified(raw: Array<{ jws: string; score: number }>): Promise<SearchHit[]> {
    const { store, acceptor } = this.#c
    const claims = raw.map(({ jws, score }) => {
      const hash = sha256Hex(jws)
      const kid = jwsKeyId(jws)
      const idOf = claimedDatasetId(jws)
      return { jws, score, hash, head: kid === undefined || idOf === undefined ? undefined : store.datasetHead(kid, idOf) }
    })
    // A held tombstone ends any other entry of the dataset before its signature costs anything.
    const open = claims.filter(c => !(c.head !== undefined && c.head.hash !== c.hash && c.head.tombstone))
    const unknown = open.filter(c => c.head?.hash !== c.hash)
    const checked = new Map((await acceptor.checkAll(unknown.map(c => c.jws))).map((e, i) => [unknown[i]!.hash, e]))
    const hits: SearchHit[] = []
    for (const c of open) {
      const e = c.head?.hash === c.hash ? acceptor.decodeHeld(c.jws, c.hash) : checked.get(c.hash)!
      if ('reason' in e || e.payload.tombstone || e.payload.dataset === undefined) continue
      if (c.head !== undefined && c.head.seq > e.payload.seq) continue
      hits.push({
        dataset: e.payload.dataset,
        score: c.score,
        provenance: {
          publisher: e.payload.publisher,
          kommune: this.#c.whoIs(e.payload.publisher).kommune,
          seq: e.payload.seq,
          entryHash: e.hash,
          signedAt: e.payload.issuedAt,
          receivedAt: store.receivedAt(e.hash),
          publisherOnline: e.payload.publisher === this.#c.self || this.#c.isConnected(e.payload.publisher)
        }
      })
    }
    return hits
  }
}

/** The datasetId an entry claims, read before any check (the size is bounded by the response schema). */
function claimedDatasetId(jws: string): string | undefined {
  const id = (jwsPayloadOf(jws) as { datasetId?: unknown } | undefined)?.datasetId
  return typeof id === 'string' ? id : undefined
}
