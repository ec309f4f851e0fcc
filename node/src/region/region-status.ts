import type { AcceptorCounters } from '../replication/entry-acceptor.js'
import type { GossipCounters } from '../replication/catalog-gossip.js'
import type { PullProgress } from '../replication/catalog-sync.js'
import type { Membership, Network } from './network.js'
import type { PeerStats } from '../p2p/peer-tracker.js'

/**
 * What the HTTP API, the web UI and the metrics see of the network: read-only
 * answers, no libp2p objects. The network is the only implementation.
 */
export interface RegionStatus {
  /** Addresses others should dial. */
  addresses: () => string[]
  connectedPeers: () => string[]
  isConnected: (peerId: string) => boolean
  /** What this node has seen of each peer. */
  peers: () => PeerStats[]
  /** Pulls under way (initial sync progress). */
  pulls: () => PullProgress[]
  gossipCounters: () => GossipCounters | null
  acceptCounters: () => AcceptorCounters
  /** The last registration answer of the registry. */
  registration: () => Network['registration'] | null
  membership: () => Membership
}

export function regionStatusOf(network: Network): RegionStatus {
  const connected = (): string[] => network.host.getPeers().map(p => p.toString())
  return {
    addresses: () => network.addresses(),
    connectedPeers: connected,
    isConnected: peerId => network.isConnected(peerId),
    peers: () => network.tracker.all(),
    pulls: () => network.replication.sync.progress(),
    gossipCounters: () => network.replication.gossip.counters,
    acceptCounters: () => network.replication.acceptor.counters,
    registration: () => network.registration ?? null,
    membership: () => network.membership()
  }
}
