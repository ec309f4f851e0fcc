import type { Stream } from '@libp2p/interface'

/**
 * Closes a stream for writing, but never waits forever: close() waits until
 * pending data reached the transport, which a stalled or vanished peer can
 * delay without end (a pull, a fetch or a federated query would hang with it).
 */
export async function closeStream(stream: Stream, ms = 5_000): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(ms) })
  } catch (err) {
    stream.abort(err as Error)
  }
}
