import type { PeerId } from '@libp2p/interface'
import type { Logger } from 'pino'
import {
  CodecError, decodeFetchHeader, decodeFetchRequest, encodeFetchHeader, encodeFetchRequest, FETCH_CHUNK_BYTES, FETCH_PROTOCOL,
  MAX_FRAME_BYTES
} from '../../../protocol/src/index.js'
import type { BlobStore, StoredBlob } from '../blob-store.js'
import { closeStream } from './close-stream.js'
import { framedStream } from './framed-stream.js'
import type { Host } from './host.js'
import type { PeerGuard } from './peer-guard.js'

export class FileNotHeldError extends Error {
  override readonly name = 'FileNotHeldError'
}

const TIMEOUT_MS = 30_000

/**
 * Files by content hash between nodes: any node serves any file it holds
 * (its own, mirrored or fetched ones); the fetching node streams the bytes
 * straight into its blob store, which checks the SHA-256 before the file
 * gets its name — a wrong byte aborts and nothing is stored.
 */
export class FileFetch {
  constructor (
    private readonly host: Host,
    private readonly blobs: BlobStore,
    private readonly log: Logger,
    private readonly guard: PeerGuard
  ) {}

  async start (): Promise<void> {
    await this.host.handle(FETCH_PROTOCOL, async (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (!this.guard.allowRequest(peer)) {
        stream.abort(new Error('rate limited'))
        return
      }
      try {
        const io = framedStream(stream, MAX_FRAME_BYTES, TIMEOUT_MS)
        const { sha256 } = decodeFetchRequest(await io.read())
        if (!await this.blobs.has(sha256)) {
          await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'not-found' }))
        } else {
          await io.write(encodeFetchHeader({ type: 'fetch-header', status: 'ok', size: await this.blobs.size(sha256) }))
          for await (const chunk of this.blobs.read(sha256, undefined, FETCH_CHUNK_BYTES)) {
            await io.write(chunk as Buffer) // waits for drain: back-pressure from the fetching node
          }
        }
        await closeStream(stream)
      } catch (err) {
        if (err instanceof CodecError) this.guard.strike(peer, 'undecodable frame')
        this.log[err instanceof CodecError ? 'warn' : 'debug']({ err: (err as Error).message, peer }, 'fetch request dropped')
        stream.abort(err as Error)
      }
    }, { maxInboundStreams: 8 })
  }

  /**
   * Fetches one file from `peer` into the blob store, verified against
   * `sha256` and `byteSize` from the signed entry.
   */
  async fetch (peer: PeerId, sha256: string, byteSize: number, onProgress?: (bytes: number) => void): Promise<StoredBlob> {
    const stream = await this.host.dialProtocol(peer, FETCH_PROTOCOL, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    try {
      const io = framedStream(stream, MAX_FRAME_BYTES, TIMEOUT_MS)
      await io.write(encodeFetchRequest({ type: 'fetch', sha256 }))
      const header = decodeFetchHeader(await io.read())
      if (header.status !== 'ok') throw new FileNotHeldError(`${peer.toString()} does not hold ${sha256}`)
      let received = 0
      async function * chunks (): AsyncIterable<Uint8Array> {
        while (received < byteSize) {
          const frame = await io.read()
          received += frame.byteLength
          onProgress?.(received)
          yield frame
        }
      }
      // maxBytes = the signed size: a peer sending more is cut off; the hash check catches the rest.
      const stored = await this.blobs.write(chunks(), byteSize, sha256)
      await closeStream(stream)
      return stored
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }
}
