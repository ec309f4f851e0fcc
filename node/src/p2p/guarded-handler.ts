import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from 'pino'
import { CodecError, KeyedSlots } from '@swf/protocol'
import { rateLimited } from './errors.js'
import type { ServedProtocol } from './constants.js'
import type { Host } from './host.js'
import type { PeerGuard } from './peer-guard.js'

export interface GuardedHandlerOptions {
  guard: PeerGuard
  log: Logger
  /** Names the protocol in log lines. */
  name: string
}

/**
 * Registers a protocol handler with what every served protocol needs: a peer
 * over its request rate or concurrency gets the stream closed unanswered; an
 * undecodable frame is a strike against the peer (and a warning); any failure
 * aborts the stream and is logged with the peer.
 */
export async function handleGuarded(
  host: Host,
  served: ServedProtocol,
  opts: GuardedHandlerOptions,
  serve: (stream: Stream, peer: string, connection: Connection) => Promise<void>
): Promise<void> {
  const protocol = served.id
  const slots = served.maxPerPeer === undefined ? undefined : new KeyedSlots(served.maxPerPeer)
  await host.handle(
    protocol,
    async (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if ((slots !== undefined && slots.count(peer) >= slots.max) || !opts.guard.allowRequest(peer)) {
        opts.log.debug(
          { peer, protocol, running: slots?.count(peer) },
          `${opts.name} request refused: peer over its request rate or concurrency`
        )
        stream.abort(rateLimited())
        return
      }
      slots?.take(peer)
      try {
        await serve(stream, peer, connection)
      } catch (err) {
        // A malformed request is the peer's fault and worth an operator's eye; aborts are routine.
        if (err instanceof CodecError) opts.guard.strike(peer, 'undecodable frame')
        opts.log[err instanceof CodecError ? 'warn' : 'debug'](
          { err: (err as Error).message, peer, protocol },
          `${opts.name} request dropped`
        )
        stream.abort(err as Error)
      } finally {
        slots?.release(peer)
      }
    },
    { maxInboundStreams: served.maxInboundStreams }
  )
}
