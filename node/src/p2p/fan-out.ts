import type { Logger } from 'pino'
import { MAX_FRAME_BYTES } from '@swf/protocol'
import { closeStream } from './close-stream.js'
import { framedStream } from './framed-stream.js'
import type { Host } from './host.js'
import type { PeerGuard } from './peer-guard.js'
import { P2pError, P2pErrorCode } from './errors.js'
import { handleGuarded } from './guarded-handler.js'
import type { ServedProtocol } from './constants.js'

export type NodeAnswerStatus = 'answered' | 'timeout' | 'error'

export interface NodeAnswer<T> {
  peerId: string
  status: NodeAnswerStatus
  latencyMs: number
  result?: T
  error?: string
}

export interface FanOutOptions<T> {
  /** One deadline for the whole fan-out: a node that has not answered by then is `timeout`. */
  deadlineMs: number
  concurrency: number
  /** Called with each peer's answer as soon as it is in (for streaming); awaited. */
  onAnswer?: (answer: NodeAnswer<T>) => void | Promise<void>
  /** Waits for the asker's turn at a peer before dialling (the deadline still counts); resolves with the turn's release. */
  gate?: (peerId: string, deadline: AbortSignal) => Promise<() => void>
}

type DialTarget = Parameters<Host['dialProtocol']>[0]

/**
 * Sends one request frame to many peers over a request/response protocol
 * and collects one answer frame from each, in parallel with bounded
 * concurrency. Never throws: every peer gets a status.
 */
export async function fanOut<T>(
  host: Host,
  targets: Array<{ peerId: string; dial: DialTarget }>,
  protocol: string,
  request: Uint8Array,
  decode: (frame: Uint8Array) => T,
  opts: FanOutOptions<T>
): Promise<Array<NodeAnswer<T>>> {
  const deadline = AbortSignal.timeout(opts.deadlineMs)
  const started = performance.now()
  const answers = new Array<NodeAnswer<T>>(targets.length)
  let next = 0
  const ask = async (i: number): Promise<void> => {
    const { peerId, dial } = targets[i]!
    const t0 = performance.now()
    const done = (status: NodeAnswerStatus, extra: Partial<NodeAnswer<T>> = {}): void => {
      answers[i] = { peerId, status, latencyMs: Math.round(performance.now() - (status === 'timeout' ? started : t0)), ...extra }
    }
    if (deadline.aborted) {
      done('timeout')
      return
    }
    let release: (() => void) | undefined
    try {
      release = await opts.gate?.(peerId, deadline)
      const stream = await host.dialProtocol(dial, protocol, { signal: deadline })
      try {
        const io = framedStream(stream, MAX_FRAME_BYTES, deadline)
        await io.write(request)
        done('answered', { result: decode(await io.read()) })
        await closeStream(stream)
      } catch (err) {
        stream.abort(err as Error)
        throw err
      }
    } catch (err) {
      // Read again: the deadline may have passed while the dial or read was under way.
      const late = isAborted(deadline)
      done(late ? 'timeout' : 'error', late ? {} : { error: (err as Error).message })
    } finally {
      release?.()
    }
  }
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++
      await ask(i)
      await opts.onAnswer?.(answers[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, targets.length) }, worker))
  return answers
}

/**
 * Serves one request/response protocol: reads one request frame, answers
 * with one frame. A malformed request closes the stream, is logged (warn:
 * the peer's fault; other aborts are routine) and is a strike; a peer over
 * its request rate, or with the descriptor's `maxPerPeer` requests under way
 * (over all its connections), gets the stream closed unanswered. The
 * handler's signal aborts when the asker goes away (its deadline passed) or
 * the descriptor's timeout ends: work for nobody stops.
 */
export async function serveRequestResponse(
  host: Host,
  served: ServedProtocol,
  handle: (frame: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>,
  opts: { guard: PeerGuard; log: Logger; name: string }
): Promise<void> {
  await handleGuarded(host, served, opts, async stream => {
    const gone = new AbortController()
    const onClose = (): void => {
      gone.abort(new P2pError(P2pErrorCode.ASKER_GONE, 'asker gone'))
    }
    stream.addEventListener('close', onClose)
    try {
      const io = framedStream(stream, MAX_FRAME_BYTES, served.timeoutMs)
      const request = await io.read()
      await io.write(await handle(request, AbortSignal.any([gone.signal, AbortSignal.timeout(served.timeoutMs)])))
      await closeStream(stream)
    } finally {
      stream.removeEventListener('close', onClose)
    }
  })
}

const isAborted = (signal: AbortSignal): boolean => signal.aborted
