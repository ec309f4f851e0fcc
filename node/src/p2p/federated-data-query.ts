import type { Logger } from 'pino'
import {
  CodecError, DATA_QUERY_PROTOCOL, decodeDataQueryRequest, decodeDataQueryResponse, encodeDataQueryRequest, encodeDataQueryResponse,
  type DataMatch, type DataQuery, type DataQueryResponse
} from '../../../protocol/src/index.js'
import type { DataQueryService } from '../services/data-query.js'
import { fanOut, serveRequestResponse } from './fan-out.js'
import { DEFAULT_FEDERATED_DEADLINE_MS, type NodeStatus } from './federated-search.js'
import type { Network } from './network.js'

export interface Origin {
  publisher: string
  kommune: string | null
  datasetId: string
  distributionId: string
}

export interface FederatedDataResult {
  matches: Array<Omit<DataMatch, 'datasetId' | 'distributionId'> & { origin: Origin }>
  truncated: boolean
  nodes: NodeStatus[]
}

/**
 * Federated data query: each publisher's node runs the query on its own
 * files and returns only the matches; this node merges them, each with its
 * origin. Nothing is copied centrally.
 */
export class FederatedDataQuery {
  constructor (
    private readonly network: Network,
    private readonly local: DataQueryService,
    private readonly log: Logger
  ) {}

  async start (): Promise<void> {
    await serveRequestResponse(this.network.host, DATA_QUERY_PROTOCOL, async frame => {
      const { query } = decodeDataQueryRequest(frame)
      const r = await this.local.run(query)
      return encodeFitting({ type: 'data-result', matches: r.matches, truncated: r.truncated })
    }, this.log, { maxInboundStreams: 4, guard: this.network.guard })
  }

  async query (query: DataQuery, deadlineMs = DEFAULT_FEDERATED_DEADLINE_MS): Promise<FederatedDataResult> {
    const self = this.network.peerId
    const t0 = performance.now()
    const [local, answers] = await Promise.all([
      this.local.run(query),
      fanOut(this.network.host, this.network.remoteTargets(), DATA_QUERY_PROTOCOL, encodeDataQueryRequest({ type: 'data-query', query }),
        decodeDataQueryResponse, { deadlineMs, concurrency: 32 })
    ])
    const withOrigin = (peer: string, m: DataMatch): FederatedDataResult['matches'][number] => {
      const { datasetId, distributionId, ...rest } = m
      return { ...rest, origin: { publisher: peer, kommune: this.network.kommuneOf(peer), datasetId, distributionId } }
    }
    const matches = local.matches.map(m => withOrigin(self, m))
    let truncated = local.truncated
    const nodes: NodeStatus[] = [{ peerId: self, kommune: this.network.kommuneOf(self), status: 'local', latencyMs: Math.round(performance.now() - t0), hits: local.matches.length }]
    for (const a of answers) {
      const got = a.result?.matches ?? []
      matches.push(...got.map(m => withOrigin(a.peerId, m)))
      truncated ||= a.result?.truncated ?? false
      nodes.push({ peerId: a.peerId, kommune: this.network.kommuneOf(a.peerId), status: a.status, latencyMs: a.latencyMs, hits: got.length, ...(a.error === undefined ? {} : { error: a.error }) })
    }
    return { matches, truncated, nodes }
  }
}

/** Drops matches from the end until the answer fits one frame. */
function encodeFitting (msg: DataQueryResponse): Uint8Array {
  let m = msg
  for (;;) {
    try {
      return encodeDataQueryResponse(m)
    } catch (err) {
      if (!(err instanceof CodecError) || m.matches.length === 0) throw err
      m = { ...m, matches: m.matches.slice(0, Math.floor(m.matches.length / 2)), truncated: true }
    }
  }
}
