import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import {
  decodeFetchHeader,
  decodeFetchRequest,
  encodeFetchHeader,
  encodeFetchRequest,
  FETCH_CHUNK_BYTES,
  MAX_FRAME_BYTES
} from '@swf/protocol'
import type { BlobStore, StoredBlob } from '../blob-store.js'
import { closeStream } from '../p2p/close-stream.js'
import { framedStream } from '../p2p/framed-stream.js'
import type { Host } from '../p2p/host.js'
import type { PeerGuard } from '../p2p/peer-guard.js'
import { handleGuarded } from '../p2p/guarded-handler.js'
import { FETCH, FETCH_FRAME_TIMEOUT_MS, FETCH_PROGRESS_WINDOW_MS, MIN_FETCH_WINDOW_BYTES } from '../p2p/constants.js'

export class FileNotHeldError extends Error {
  override readonly name = 'FileNotHeldError'
}

/** The serving peer announced another size than the signed entry names. */
export class FetchSizeMismatchError extends Error {
  override readonly name = 'FetchSizeMismatchError'
}

/** The serving peer sent too little for too long (a trickle holds a fetch and every reader waiting on it). */
export class FetchTooSlowError extends Error {
  override readonly name = 'FetchTooSlowError'
}

export interface FileFetchComponents {
  host: Host
  blobs: BlobStore
  guard: PeerGuard
  log: Logger
}

/**
 * Files by content hash between nodes: any node serves any file it holds
 * (its own, mirrored or fetched ones) after checking its bytes against the
 * hash; the fetching node streams the bytes straight into its blob store,
 * which checks the SHA-256 before the file gets its name — a wrong byte
 * aborts and nothing is stored.
 */
export class FileFetch {
  readonly #c: FileFetchComponents

  constructor(components: FileFetchComponents) {
    this.#c = components
  }

  async start(): Promise<void> {
    await handleGuarded(this.#c.host, FETCH, { guard: this.#c.guard, log: this.#c.log, name: 'fetch' }, async stream => {
      const io = framedStream(stream, MAX_FRAME_BYTES, FETCH_FRAME_TIMEOUT_MS)
      const { sha256 } = decodeFetchRequest(await io.read())
      // A corrupt copy is quarantined (and logged) by the store: "not found", the asker tries another holder.
      if ((await this.#c.blobs.verify(sha256)) !== 'ok') {
        await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'not-found' }))
      } else {
        await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'ok', size: await this.#c.blobs.size(sha256) }))
        for await (const chunk of this.#c.blobs.read(sha256, undefined, FETCH_CHUNK_BYTES)) {
          await io.write(chunk as Buffer) // waits for drain: back-pressure from the fetching node
        }
      }
      await closeStream(stream)
    })
  }
  async stop(): Promise<void> {
    await this.#c.host.unhandle(FETCH.id)
  }

  /**
   * Fetches one file from `peer` into the blob store, verified against
   * `sha256` and `byteSize` from the signed entry. Fails on a stall (no frame
   * for FETCH_FRAME_TIMEOUT_MS) and on a trickle (less than
   * MIN_FETCH_WINDOW_BYTES in any FETCH_PROGRESS_WINDOW_MS).
   */
  async fetch(peer: PeerId, sha256: string, byteSize: number, onProgress?: (bytes: number) => void): Promise<StoredBlob> {
    const stream = await this.#c.host.dialProtocol(peer, FETCH.id, { signal: AbortSignal.timeout(FETCH_FRAME_TIMEOUT_MS) })
    let received = 0
    let windowStart = 0
    const slow = new AbortController()
    let watchdog: NodeJS.Timeout | undefined
    const watch = (): NodeJS.Timeout =>
      setInterval(() => {
        if (received - windowStart < Math.min(MIN_FETCH_WINDOW_BYTES, byteSize - windowStart)) {
          slow.abort(
            new FetchTooSlowError(
              `${peer.toString()} sent ${received - windowStart} bytes in ${FETCH_PROGRESS_WINDOW_MS} ms (at least ${MIN_FETCH_WINDOW_BYTES} required)`
            )
          )
          stream.abort(slow.signal.reason as Error)
        }
        windowStart = received
      }, FETCH_PROGRESS_WINDOW_MS)
    try {
      const io = framedStream(stream, MAX_FRAME_BYTES, FETCH_FRAME_TIMEOUT_MS)
      await io.write(encodeFetchRequest({ type: 'fetch', sha256 }))
      const header = decodeFetchHeader(await io.read())
      if (header.status !== 'ok') throw new FileNotHeldError(`${peer.toString()} does not hold ${sha256}`)
      if (header.size !== byteSize)
        throw new FetchSizeMismatchError(`${peer.toString()} announced ${header.size ?? 'no'} bytes, the signed entry ${byteSize}`)
      watchdog = watch()
      async function* chunks(): AsyncIterable<Uint8Array> {
        while (received < byteSize) {
          const frame = await io.read()
          received += frame.byteLength
          onProgress?.(received)
          yield frame
        }
      }
      // maxBytes = the signed size: a peer sending more is cut off; the hash check catches the rest.
      const stored = await this.#c.blobs.write(chunks(), byteSize, sha256)
      await closeStream(stream)
      return stored
    } catch (err) {
      stream.abort(err as Error)
      throw slow.signal.aborted ? (slow.signal.reason as Error) : err
    } finally {
      clearInterval(watchdog)
    }
  }
}
