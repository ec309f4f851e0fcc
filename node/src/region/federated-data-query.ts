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
import { FairSlots } from '../fair-slots.js'
import type { DataQueryService } from '../services/data-query-service.js'
import { DATA_QUERY, DEFAULT_FEDERATED_DEADLINE_MS } from '../p2p/constants.js'
import { serveRequestResponse } from '../p2p/fan-out.js'
import { federate, type NodeReply, type NodeStatus, type OnNodeAnswer, type RegionComponents } from './federation.js'

/**
 * Data queries this node sends one peer at once: one below what the peer
 * serves per peer (DATA_QUERY.maxPerPeer), since the peer frees a query's
 * place a moment after its answer arrived here. Past that limit queries were
 * refused unanswered, so a burst of HTTP clients at one node turned into
 * "error" for every other node's answer.
 */
export const DATA_QUERIES_PER_PEER_AT_ONCE = Math.max(1, (DATA_QUERY.maxPerPeer ?? 2) - 1)
/**
 * …and per second, sustained and at once: half a peer's request budget for
 * this node (p2p.limits, 20/s and 50 by default), the rest is left to sync,
 * search and file fetches. Past these the query waits for its turn (within
 * its deadline) instead of being refused.
 */
export const DATA_QUERIES_PER_PEER_PER_SECOND = 10
export const DATA_QUERY_BURST_PER_PEER = 20
/** Data queries waiting for their turn at one peer; past it the heaviest asker's newest is dropped. */
const MAX_WAITING_PER_PEER = 64

/** How long an identical data query's complete answer is reused (single-flight while it is under way). */
export const SHARED_ANSWER_MS = 3_000
/** Answers kept at once, and their bytes (as JSON). */
export const MAX_SHARED_ANSWERS = 64
export const MAX_SHARED_ANSWER_BYTES = 16 * 1024 * 1024

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
  /** Each peer's turns for this node's data queries, fairly among the askers. */
  readonly #turns = new Map<string, FairSlots>()

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

  /**
   * `onNode` sees each node's status and matches as soon as that node has
   * answered. `asker` (the client's address) decides whose query goes first
   * at a busy peer: the one that asked least lately.
   */
  async query(
    query: DataQuery,
    deadlineMs = DEFAULT_FEDERATED_DEADLINE_MS,
    onNode?: OnNodeAnswer<OriginMatch>,
    asker = ''
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
      },
      gate: (peerId, deadline) => this.#turnsAt(peerId).acquire(asker, deadline)
    })
    // The merged answer lists this node first, then the others in the order they answered.
    answered.sort((a, b) => Number(b.node.status === 'local') - Number(a.node.status === 'local'))
    return { matches: answered.flatMap(a => a.matches), truncated, nodes: answered.map(a => a.node) }
  }

  #turnsAt(peerId: string): FairSlots {
    let turns = this.#turns.get(peerId)
    if (turns === undefined) {
      // One per participant asked (the registry's list bounds them); kept, so the rate survives idle spells.
      turns = new FairSlots({
        max: DATA_QUERIES_PER_PEER_AT_ONCE,
        maxWaiting: MAX_WAITING_PER_PEER,
        ratePerSecond: DATA_QUERIES_PER_PEER_PER_SECOND,
        burst: DATA_QUERY_BURST_PER_PEER
      })
      this.#turns.set(peerId, turns)
    }
    return turns
  }
}

interface SharedAnswer {
  answer: Promise<FederatedDataResult>
  /** Until when it is reused; Infinity while it is under way. */
  until: number
  bytes: number
}

/**
 * Identical data queries asked within a few seconds share one answer: a
 * query under way is awaited by everyone asking the same (single-flight),
 * a complete answer (every node answered) is reused for SHARED_ANSWER_MS.
 * Sixteen clients looping on the regional view then cost one fan-out, not
 * sixteen. Bounded in answers and bytes; an answer missing a node is not
 * kept, so nobody is served a stale gap.
 */
export class SharedDataAnswers {
  readonly #entries = new Map<string, SharedAnswer>()
  #bytes = 0

  constructor(
    private readonly run: FederatedDataQuery['query'],
    private readonly now: () => number = Date.now
  ) {}

  answer(query: DataQuery, deadlineMs: number, asker?: string): Promise<FederatedDataResult> {
    const key = canonicalJson([query, deadlineMs])
    const held = this.#entries.get(key)
    if (held !== undefined && held.until > this.now()) return held.answer
    if (held !== undefined) this.#drop(key, held)
    const entry: SharedAnswer = { answer: this.run(query, deadlineMs, undefined, asker), until: Infinity, bytes: 0 }
    this.#entries.set(key, entry)
    entry.answer.then(
      result => {
        if (this.#entries.get(key) !== entry) return
        const bytes = isComplete(result) ? Buffer.byteLength(JSON.stringify(result)) : Infinity
        if (bytes > MAX_SHARED_ANSWER_BYTES) {
          this.#drop(key, entry)
          return
        }
        entry.until = this.now() + SHARED_ANSWER_MS
        entry.bytes = bytes
        this.#bytes += bytes
        this.#evict()
      },
      () => {
        if (this.#entries.get(key) === entry) this.#drop(key, entry)
      }
    )
    return entry.answer
  }

  /** Answers kept now (under way ones too). */
  get size(): number {
    return this.#entries.size
  }

  #drop(key: string, entry: SharedAnswer): void {
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
  }

  /** Drops expired answers, then the oldest kept ones while over the bounds (answers under way stay: admission bounds them). */
  #evict(): void {
    const now = this.now()
    for (const [key, e] of this.#entries) {
      const over = this.#entries.size > MAX_SHARED_ANSWERS || this.#bytes > MAX_SHARED_ANSWER_BYTES
      if (e.until !== Infinity && (e.until <= now || over)) this.#drop(key, e)
    }
  }
}

const isComplete = (r: FederatedDataResult): boolean => r.nodes.every(n => n.status === 'local' || n.status === 'answered')

/** JSON with object keys sorted: equal queries give equal keys whatever order their fields were built in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  )
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
