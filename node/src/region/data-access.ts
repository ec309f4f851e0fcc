import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import { BlobHashMismatchError, UploadTooLargeError, type BlobStore } from '../blob-store.js'
import type { BlobIndex } from '../services/blob-index.js'
import { NotFoundError } from '../errors.js'
import { fileNameOf, servedMediaType } from '../file-names.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import { FetchSizeMismatchError, type FileFetch } from './file-fetch.js'
import type { RegionComponents } from './federation.js'

export class FileUnavailableError extends Error {
  override readonly name = 'FileUnavailableError'
  constructor(
    message: string,
    readonly tried: Array<{ peerId: string; error: string }>
  ) {
    super(message)
  }
}

export class FileCorruptError extends Error {
  override readonly name = 'FileCorruptError'
}

/** A signed distribution claims a file larger than this node accepts (`maxUploadBytes`). */
export class FileTooLargeError extends Error {
  override readonly name = 'FileTooLargeError'
  constructor(
    readonly byteSize: number,
    readonly limit: number
  ) {
    super(`the signed entry claims ${byteSize} bytes, more than this node's limit of ${limit} bytes (maxUploadBytes); not fetched`)
  }
}

export interface RegionalFile {
  sha256: string
  byteSize: number
  mediaType: string
  fileName: string
  /** Where the bytes came from this time. */
  source: string
}

/**
 * Any distribution of the region through one's own node: served locally if
 * held, else fetched from the publisher's node, else from any connected node
 * that holds it (mirrors) — always verified against the signed entry.
 */
export class DataAccess {
  readonly #inflight = new Map<string, Promise<void>>()

  constructor(
    private readonly blobIndex: BlobIndex,
    private readonly blobStore: BlobStore,
    private readonly regional: RegionalCatalog,
    private readonly fetcher: FileFetch,
    private readonly region: Pick<RegionComponents, 'host' | 'guard' | 'self'>,
    private readonly log: Logger,
    /** Largest file this node fetches: the same bound as its own uploads. */
    private readonly maxBytes: number
  ) {}

  async resolve(
    publisher: string,
    datasetId: string,
    distId: string,
    onProgress?: (bytes: number, total: number) => void
  ): Promise<RegionalFile> {
    const view = this.regional.get(publisher, datasetId)
    const dist = view.dataset.distributions.find(d => d.id === distId)
    if (dist === undefined) throw new NotFoundError(`dataset "${datasetId}" has no distribution "${distId}"`)
    if (dist.sha256 === undefined || dist.byteSize === undefined) {
      throw new NotFoundError(
        `distribution "${distId}" is an external link (${dist.accessURL ?? dist.downloadURL ?? 'no URL'}), not a file in the data space`
      )
    }
    const file = { sha256: dist.sha256, byteSize: dist.byteSize, mediaType: servedMediaType(dist), fileName: fileNameOf(dist) }
    const source = await this.verifiedLocal(publisher, dist.sha256, dist.byteSize, onProgress)
    return { ...file, source }
  }

  /**
   * Makes sure an intact copy is held: a stored file is checked against its
   * hash (once per change on disk); a corrupt one is quarantined, logged and
   * fetched again from a node that holds it. Returns where the bytes came from.
   */
  async verifiedLocal(
    publisher: string,
    sha256: string,
    byteSize: number,
    onProgress?: (bytes: number, total: number) => void
  ): Promise<string> {
    if ((await this.blobStore.verify(sha256)) === 'ok') {
      // Intact on disk, perhaps not indexed (a database restored from an older backup): index it.
      if (this.blobIndex.get(sha256) === undefined) this.blobIndex.record(sha256, byteSize)
      return 'local'
    }
    return this.ensure(publisher, sha256, byteSize, onProgress)
  }

  /** Makes sure the blob is held, fetching it once even when asked concurrently. Returns the source peer. */
  async ensure(publisher: string, sha256: string, byteSize: number, onProgress?: (bytes: number, total: number) => void): Promise<string> {
    // A claim beyond the limit is refused before a byte moves (a 5 GB claim once made nodes write 139 MB unasked).
    if (byteSize > this.maxBytes) throw new FileTooLargeError(byteSize, this.maxBytes)
    let source = 'local'
    const running = this.#inflight.get(sha256)
    if (running !== undefined) {
      await running
      return 'local'
    }
    const p = (async () => {
      source = await this.#fetchFromRegion(publisher, sha256, byteSize, onProgress)
    })()
    this.#inflight.set(sha256, p)
    try {
      await p
    } finally {
      this.#inflight.delete(sha256)
    }
    return source
  }

  async #fetchFromRegion(
    publisher: string,
    sha256: string,
    byteSize: number,
    onProgress?: (bytes: number, total: number) => void
  ): Promise<string> {
    const connected = this.region.host.getPeers().map(p => p.toString())
    const candidates = [publisher, ...connected.filter(p => p !== publisher)].filter(p => p !== this.region.self)
    const tried: Array<{ peerId: string; error: string }> = []
    let corrupt = 0
    for (const peer of candidates) {
      try {
        const stored = await this.fetcher.fetch(peerIdFromString(peer), sha256, byteSize, n => onProgress?.(n, byteSize))
        this.blobIndex.record(sha256, stored.byteSize)
        this.log.info({ sha256, peer, bytes: stored.byteSize }, 'fetched and verified a file')
        return peer
      } catch (err) {
        if (err instanceof BlobHashMismatchError || err instanceof UploadTooLargeError || err instanceof FetchSizeMismatchError) {
          // The peer served bytes that are not the signed file: discard them, count it against the
          // peer, and ask the next holder — one wrong answer must not cost the reader the file.
          corrupt++
          this.region.guard.strike(peer, 'served a file that does not match the signed entry')
          this.log.warn(
            { sha256, peer, err: err.message },
            'peer served a file that does not match the signed entry; discarded, trying the next holder'
          )
        }
        tried.push({ peerId: peer, error: (err as Error).message })
      }
    }
    if (corrupt > 0 && corrupt === tried.length) {
      throw new FileCorruptError(
        `every node that answered (${corrupt}) served bytes that do not match the signed sha256; nothing was stored`
      )
    }
    const why = tried.length === 0 ? 'publisher offline and no mirror connected' : tried.map(t => `${t.peerId}: ${t.error}`).join('; ')
    throw new FileUnavailableError(`no reachable node served file ${sha256} (${why})`, tried)
  }
}
