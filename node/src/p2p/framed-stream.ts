import type { Stream, StreamMessageEvent } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import * as varint from 'uint8-varint'
import { CodecError } from '@swf/protocol'

/** Length-prefixed frames on one stream; no read or write waits past its deadline. */
export interface FramedStream {
  /** The next frame; `ms` overrides the deadline for this read. */
  read: (ms?: number) => Promise<Uint8Array>
  /** Sends a frame, waiting for the peer to drain (back-pressure), not forever. */
  write: (frame: Uint8Array) => Promise<void>
}

/**
 * Bytes buffered unread before the stream is paused. Paused, yamux stops
 * granting window to the sender, so at most this plus one receive window
 * (MAX_STREAM_WINDOW_BYTES in host.ts) waits in memory per stream — however
 * fast the peer sends and however slowly this node writes to disk.
 */
export const READ_HIGH_WATER_BYTES = 1024 * 1024

export class StreamEndedError extends Error {
  override readonly name = 'StreamEndedError'
}

/**
 * Every read and write of our protocols goes through here, bounded by
 * `deadline` — milliseconds per frame, or one signal for the whole exchange —
 * so a peer that stalls (stops sending, or stops reading so that a write
 * never drains) cannot hold a pull, a fetch or a served stream.
 *
 * Reads pause the stream while unread bytes pile up (libp2p's byteStream
 * never pauses, so a file arriving faster than it is stored overflowed its
 * 4 MiB buffer and aborted every fetch of 10 MB and more).
 */
export function framedStream(stream: Stream, maxDataLength: number, deadline: number | AbortSignal): FramedStream {
  const signalFor = (ms?: number): AbortSignal =>
    ms !== undefined ? AbortSignal.timeout(ms) : typeof deadline === 'number' ? AbortSignal.timeout(deadline) : deadline
  const buffer = new Uint8ArrayList()
  let ended = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  let reading = false

  const paused = (): boolean => stream.readStatus === 'paused'
  const pause = (): void => {
    if (stream.readStatus === 'readable') stream.pause()
  }
  const resume = (): void => {
    if (paused()) stream.resume()
  }

  stream.addEventListener('message', (evt: StreamMessageEvent) => {
    buffer.append(evt.data)
    // A read waiting for more bytes keeps the stream flowing; otherwise stop the sender.
    if (!reading && buffer.byteLength >= READ_HIGH_WATER_BYTES) pause()
    wake?.()
  })
  stream.addEventListener('remoteCloseWrite', () => {
    ended = true
    wake?.()
  })
  stream.addEventListener('close', evt => {
    ended = true
    if (evt.error !== undefined) failure = evt.error
    wake?.()
  })

  /** A whole frame from the buffer, or undefined when more bytes are needed. */
  const takeFrame = (): Uint8Array | undefined => {
    if (buffer.byteLength === 0) return undefined
    let length: number
    let prefix: number
    try {
      length = varint.decode(buffer)
      prefix = varint.encodingLength(length)
    } catch (err) {
      // An incomplete varint throws RangeError; ten bytes without an end is garbage.
      if (buffer.byteLength < 10) return undefined
      throw new CodecError(`invalid frame length prefix: ${(err as Error).message}`)
    }
    if (length > maxDataLength) throw new CodecError(`frame of ${length} bytes exceeds ${maxDataLength}`)
    if (buffer.byteLength < prefix + length) return undefined
    const frame = buffer.subarray(prefix, prefix + length)
    buffer.consume(prefix + length)
    return frame
  }

  const read = async (ms?: number): Promise<Uint8Array> => {
    const signal = signalFor(ms)
    reading = true
    try {
      for (;;) {
        const frame = takeFrame()
        if (frame !== undefined) {
          if (buffer.byteLength < READ_HIGH_WATER_BYTES) resume()
          return frame
        }
        if (failure !== undefined) throw failure
        if (ended) throw new StreamEndedError(`stream ended after ${buffer.byteLength} bytes of an incomplete frame`)
        signal.throwIfAborted()
        resume()
        await new Promise<void>((resolve, reject) => {
          const onAbort = (): void => {
            wake = undefined
            reject(signal.reason as Error)
          }
          wake = () => {
            wake = undefined
            signal.removeEventListener('abort', onAbort)
            resolve()
          }
          signal.addEventListener('abort', onAbort, { once: true })
        })
      }
    } finally {
      reading = false
    }
  }

  const write = async (frame: Uint8Array): Promise<void> => {
    if (frame.byteLength > maxDataLength) throw new CodecError(`frame of ${frame.byteLength} bytes exceeds ${maxDataLength}`)
    const signal = signalFor()
    const data = new Uint8ArrayList(varint.encode(frame.byteLength), frame)
    if (stream.send(data)) return
    // Wait until the muxer has passed the bytes on (the peer granted window), or the deadline.
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        stream.removeEventListener('drain', onDrain)
        stream.removeEventListener('close', onClose)
        signal.removeEventListener('abort', onAbort)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onDrain = (): void => {
        done()
      }
      const onClose = (): void => {
        done(new StreamEndedError('stream closed while writing'))
      }
      const onAbort = (): void => {
        done(signal.reason as Error)
      }
      if (signal.aborted) {
        onAbort()
        return
      }
      stream.addEventListener('drain', onDrain)
      stream.addEventListener('close', onClose)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  return { read, write }
}
