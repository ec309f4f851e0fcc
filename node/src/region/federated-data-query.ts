import type { Logger } from 'pino'
import {
  CodecError,
  decodeDataQueryRequest,
  decodeDataQueryResponse,
  encodeDataQueryRequest,
  encodeDataQueryResponse,
  type DataMatch,
  type DataQuery,
  type DataQueryResponse
} from '@swf/protocol'
import type { DataQueryService } from '../services/data-query-service.js'
import { DATA_QUERY, DEFAULT_FEDERATED_DEADLINE_MS } from '../p2p/constants.js'
import { serveRequestResponse } from '../p2p/fan-out.js'
import { federate, type NodeReply, type NodeStatus, type OnNodeAnswer, type RegionComponents } from './federation.js'

export interface FederatedDataQueryComponents extends RegionComponents {
  dataQuery: DataQueryService
  log: Logger
}

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
  readonly #c: FederatedDataQueryComponents

  constructor(components: FederatedDataQueryComponents) {
    this.#c = components
  }

  async start(): Promise<void> {
    const { host, guard, log, dataQuery } = this.#c
    await serveRequestResponse(
      host,
      DATA_QUERY,
      async (frame, signal) => {
        const { query } = decodeDataQueryRequest(frame)
        // Stops when the asker's deadline passed (it closed the stream) or the CPU budget is spent.
        const r = await dataQuery.run(query, { signal })
        return encodeFitting({ type: 'data-result', matches: r.matches, truncated: r.truncated })
      },
      { guard, log, name: 'data query' }
    )
  }

  async stop(): Promise<void> {
    await this.#c.host.unhandle(DATA_QUERY.id)
  }

  /** `onNode` sees each node's status and matches as soon as that node has answered. */
  async query(
    query: DataQuery,
    deadlineMs = DEFAULT_FEDERATED_DEADLINE_MS,
    onNode?: OnNodeAnswer<OriginMatch>
  ): Promise<FederatedDataResult> {
    const answered: Array<{ node: NodeStatus; matches: OriginMatch[] }> = []
    let truncated = false
    const add = (node: NodeReply, got: DataMatch[], cut: boolean): void => {
      const matches = withOrigin(node, got)
      const status = { ...node, hits: got.length }
      answered.push({ node: status, matches })
      truncated ||= cut
      onNode?.(status, matches)
    }
    await federate(this.#c, {
      protocol: DATA_QUERY.id,
      request: encodeDataQueryRequest({ type: 'data-query', query }),
      decode: decodeDataQueryResponse,
      deadlineMs,
      local: signal => this.#c.dataQuery.run(query, { signal }),
      onLocal: (node, local) => {
        add(node, local.matches, local.truncated)
      },
      onRemote: (node, answer) => {
        add(node, answer?.matches ?? [], answer?.truncated ?? false)
      }
    })
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
