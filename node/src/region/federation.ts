import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { WhoIs } from '../peer-names.js'
import { FEDERATION_CONCURRENCY } from '../p2p/constants.js'
import { fanOut, type NodeAnswerStatus } from '../p2p/fan-out.js'
import type { Host } from '../p2p/host.js'
import type { PeerGuard } from '../p2p/peer-guard.js'

/**
 * What the protocols on top of replication (search, data query, file fetch)
 * are built from: the host, the guard, who a peer is and whom to ask. The
 * network provides them; no protocol holds the network itself.
 */
export interface RegionComponents {
  host: Host
  guard: PeerGuard
  /** This node's peer id. */
  self: string
  whoIs: WhoIs
  /** Every other active participant, dialled by peer id when connected, else by its registered addresses. */
  remoteTargets: () => Array<{ peerId: string; dial: PeerId | Multiaddr[] }>
  isConnected: (peerId: string) => boolean
}

export interface NodeStatus {
  peerId: string
  kommune: string | null
  status: NodeAnswerStatus | 'local'
  latencyMs: number
  hits: number
  error?: string
}

/** One node's answer, streamed as it arrives (before merging and deduplication). */
export type OnNodeAnswer<T> = (node: NodeStatus, items: T[]) => void

/** A node's status before its items are counted. */
export type NodeReply = Omit<NodeStatus, 'hits'>

export interface FederatedCall<L, R> {
  protocol: string
  request: Uint8Array
  decode: (frame: Uint8Array) => R
  /** One deadline for every node: whoever has not answered by then is `timeout`. */
  deadlineMs: number
  /** This node's own answer, computed beside the others'. */
  local: (signal: AbortSignal) => Promise<L>
  onLocal: (node: NodeReply, answer: L) => void | Promise<void>
  /** Each other node's answer as soon as it is in (undefined: it timed out or failed, see the status). */
  onRemote: (node: NodeReply, answer: R | undefined) => void | Promise<void>
  /** Waits for this asker's turn at a node before asking it (see fanOut). */
  gate?: (peerId: string, deadline: AbortSignal) => Promise<() => void>
}

/**
 * Asks this node and every other node of the region the same question: the
 * one shape of federated search and federated data query. Each node's
 * status (answered, timeout, error, local) and latency comes with its answer;
 * the caller merges. Never throws for a node that fails.
 */
export async function federate<L, R>(components: RegionComponents, call: FederatedCall<L, R>): Promise<void> {
  const { host, self, whoIs, remoteTargets } = components
  const t0 = performance.now()
  await Promise.all([
    call
      .local(AbortSignal.timeout(call.deadlineMs))
      .then(answer =>
        call.onLocal({ peerId: self, kommune: whoIs(self).kommune, status: 'local', latencyMs: Math.round(performance.now() - t0) }, answer)
      ),
    fanOut(host, remoteTargets(), call.protocol, call.request, call.decode, {
      deadlineMs: call.deadlineMs,
      concurrency: FEDERATION_CONCURRENCY,
      ...(call.gate === undefined ? {} : { gate: call.gate }),
      onAnswer: a =>
        call.onRemote(
          {
            peerId: a.peerId,
            kommune: whoIs(a.peerId).kommune,
            status: a.status,
            latencyMs: a.latencyMs,
            ...(a.error === undefined ? {} : { error: a.error })
          },
          a.result
        )
    })
  ])
}
