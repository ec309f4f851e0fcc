import type { Logger } from 'pino'
import {
  CodecError,
  DATA_QUERY_PROTOCOL,
  decodeDataQueryRequest,
  decodeDataQueryResponse,
  encodeDataQueryRequest,
  encodeDataQueryResponse,
  type DataMatch,
  type DataQuery,
  type DataQueryResponse
} from '@swf/protocol'
import type { DataQueryService } from '../services/data-query.js'
import { fanOut, serveRequestResponse } from './fan-out.js'
import { DEFAULT_FEDERATED_DEADLINE_MS, type NodeStatus, type OnNodeAnswer } from './federated-search.js'
import type { Network } from './network.js'

/** Data queries of one peer served at once, over all its connections. */
export const MAX_DATA_QUERIES_PER_PEER = 2

export interface Origin {
  publisher: string
  kommune: string | null
  datasetId: string
  distributionId: string
}

export type OriginMatch = Omit<DataMatch, 'datasetId' | 'distributionId'> & { origin: Origin }

export interface FederatedDataResult {
  matches: OriginMatch[]
  truncated: boolean
  nodes: NodeStatus[]
}

/**
 * Federated data query: each publisher's node runs the query on its own
 * files and returns only the matches; this node merges them, each with its
 * origin. Nothing is copied centrally.
 */
export class FederatedDataQuery {
  constructor(
    private readonly network: Network,
    private readonly local: DataQueryService,
    private readonly log: Logger
  ) {}

  async start(): Promise<void> {
    await serveRequestResponse(
      this.network.host,
      DATA_QUERY_PROTOCOL,
      async (frame, signal) => {
        const { query } = decodeDataQueryRequest(frame)
        // Stops when the asker's deadline passed (it closed the stream) or the CPU budget is spent.
        const r = await this.local.run(query, { signal })
        return encodeFitting({ type: 'data-result', matches: r.matches, truncated: r.truncated })
      },
      this.log,
      { maxInboundStreams: 4, maxPerPeer: MAX_DATA_QUERIES_PER_PEER, guard: this.network.guard }
    )
  }

  /** `onNode` sees each node's status and matches as soon as that node has answered. */
  async query(
    query: DataQuery,
    deadlineMs = DEFAULT_FEDERATED_DEADLINE_MS,
    onNode?: OnNodeAnswer<OriginMatch>
  ): Promise<FederatedDataResult> {
    const self = this.network.peerId
    const t0 = performance.now()
    const answered: Array<{ node: NodeStatus; matches: OriginMatch[] }> = []
    let truncated = false
    const add = (node: Omit<NodeStatus, 'hits'>, got: DataMatch[], cut: boolean): void => {
      const matches = withOrigin(node, got)
      const status = { ...node, hits: got.length }
      answered.push({ node: status, matches })
      truncated ||= cut
      onNode?.(status, matches)
    }
    await Promise.all([
      this.local.run(query, { signal: AbortSignal.timeout(deadlineMs) }).then(local => {
        add(
          { peerId: self, kommune: this.network.kommuneOf(self), status: 'local', latencyMs: Math.round(performance.now() - t0) },
          local.matches,
          local.truncated
        )
      }),
      fanOut(
        this.network.host,
        this.network.remoteTargets(),
        DATA_QUERY_PROTOCOL,
        encodeDataQueryRequest({ type: 'data-query', query }),
        decodeDataQueryResponse,
        {
          deadlineMs,
          concurrency: 32,
          onAnswer: a => {
            add(
              {
                peerId: a.peerId,
                kommune: this.network.kommuneOf(a.peerId),
                status: a.status,
                latencyMs: a.latencyMs,
                ...(a.error === undefined ? {} : { error: a.error })
              },
              a.result?.matches ?? [],
              a.result?.truncated ?? false
            )
          }
        }
      )
    ])
    // The merged answer lists this node first, then the others in the order they answered.
    answered.sort((a, b) => Number(b.node.status === 'local') - Number(a.node.status === 'local'))
    return { matches: answered.flatMap(a => a.matches), truncated, nodes: answered.map(a => a.node) }
  }
}

/** One node's matches, each annotated with where it comes from. */
export function withOrigin(node: Pick<NodeStatus, 'peerId' | 'kommune'>, matches: DataMatch[]): OriginMatch[] {
  return matches.map(({ datasetId, distributionId, ...rest }) => ({
    ...rest,
    origin: { publisher: node.peerId, kommune: node.kommune, datasetId, distributionId }
  }))
}

/** Drops matches from the end until the answer fits one frame. */
function encodeFitting(msg: DataQueryResponse): Uint8Array {
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
