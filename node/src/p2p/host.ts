import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import { identify, type Identify } from '@libp2p/identify'
import type { Ed25519PrivateKey, Libp2p, PeerId } from '@libp2p/interface'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { CATALOG_TOPIC } from '@swf/protocol'
import type { NodeConfig } from '../config.js'
import { CONNECTION_PING_INTERVAL_MS } from './constants.js'

/**
 * Largest yamux receive window per stream. A paused stream (framed-stream.ts)
 * can still receive one window, which must fit libp2p's 4 MiB read buffer;
 * yamux's default of 16 MiB could overflow it.
 */
export const MAX_STREAM_WINDOW_BYTES = 2 * 1024 * 1024

export type Host = Libp2p<{ identify: Identify; ping: Ping; pubsub: GossipSub }>

export interface HostOptions {
  key: Ed25519PrivateKey
  p2p: Pick<NodeConfig['p2p'], 'listen' | 'announce' | 'maxConnections' | 'inboundConnectionThreshold'>
  /** The gate: only active registered participants get a connection. */
  isAllowed: (peerId: string) => boolean
}

/**
 * The node's libp2p host: TCP, noise, yamux, identify, ping and gossipsub.
 * The connection gater admits only peers the registry lists as active, in
 * both directions, before any protocol stream can be opened.
 */
export async function createHost({ key, p2p, isAllowed }: HostOptions): Promise<Host> {
  const deny = (peerId: PeerId): boolean => !isAllowed(peerId.toString())
  return createLibp2p({
    privateKey: key,
    addresses: { listen: p2p.listen, ...(p2p.announce.length > 0 ? { announce: p2p.announce } : {}) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: MAX_STREAM_WINDOW_BYTES } })],
    connectionGater: {
      denyDialPeer: deny,
      denyInboundEncryptedConnection: deny,
      denyOutboundEncryptedConnection: deny
    },
    connectionManager: {
      maxConnections: p2p.maxConnections,
      inboundConnectionThreshold: p2p.inboundConnectionThreshold
    },
    connectionMonitor: { pingInterval: CONNECTION_PING_INTERVAL_MS },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // Entries carry their own signatures; gossipsub's would only add bytes.
        globalSignaturePolicy: 'StrictNoSign',
        // The message id is the entry hash, so the same entry is one message however it travels.
        msgIdFn: msg => createHash('sha256').update(msg.data).digest(),
        allowPublishToZeroTopicPeers: true,
        // Only registered participants get a connection at all (the gater), so
        // gossipsub's Sybil defence by IP is moot — and harmful: Kommunen hosted
        // by one data centre share an address, and more than 10 peers on one IP
        // were scored below the graylist threshold, which silently dropped gossip.
        scoreParams: {
          IPColocationFactorWeight: 0,
          topics: {
            [CATALOG_TOPIC]: createTopicScoreParams({
              topicWeight: 1,
              // Catalog traffic is sparse: never punish a peer for delivering little.
              meshMessageDeliveriesWeight: 0,
              meshFailurePenaltyWeight: 0,
              timeInMeshWeight: 0.01,
              firstMessageDeliveriesWeight: 1,
              firstMessageDeliveriesCap: 50,
              // Forged entries (validator Reject) count squared: a handful
              // graylists the sender (-80); the decay forgives in minutes.
              invalidMessageDeliveriesWeight: -2,
              invalidMessageDeliveriesDecay: 0.99
            })
          }
        },
        emitSelf: false
      })
    }
  })
}
