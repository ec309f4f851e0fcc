import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'

// Files are stored content-addressed: blobs/ab/abcdef… by SHA-256. A file is
// written to tmp/, fsynced and renamed, so a crash leaves either nothing or
// the complete file under its name — never a half file that looks complete.

export class UploadTooLargeError extends Error {
  override readonly name = 'UploadTooLargeError'
  constructor(readonly limit: number) {
    super(`upload exceeds the limit of ${limit} bytes`)
  }
}

export interface StoredBlob {
  sha256: string
  byteSize: number
}

const SHA256_HEX = /^[0-9a-f]{64}$/

/** What verify() found: the file matches its name, is gone, or was corrupt (and is now quarantined). */
export type BlobCheck = 'ok' | 'missing' | 'corrupt'

export class BlobStore {
  readonly #root: string
  readonly #tmp: string
  /**
   * Files whose bytes were hashed (written, fetched or checked) and found to
   * match their name, with the size and mtime they had then: a file changed
   * on disk since is hashed again before it is served.
   */
  readonly #verified = new Map<string, string>()

  constructor(
    root: string,
    private readonly log?: Logger
  ) {
    this.#root = root
    this.#tmp = join(root, 'tmp')
  }

  /** Where corrupt files are moved: kept for the operator to inspect, never served. */
  get quarantineDir(): string {
    return join(this.#root, 'quarantine')
  }

  /**
   * Checks that a file still holds the bytes its name promises — once per
   * change on disk, so a file is hashed at most once per process unless it
   * changes. A corrupt file is moved to quarantine/, logged, and reported as
   * such: it is never served to a client or a peer.
   */
  async verify(sha256: string): Promise<BlobCheck> {
    const path = this.pathOf(sha256)
    let stamp: string
    try {
      const st = await stat(path)
      stamp = `${st.size}:${st.mtimeMs}:${st.ino}`
    } catch {
      return 'missing'
    }
    if (this.#verified.get(sha256) === stamp) return 'ok'
    const hash = createHash('sha256')
    try {
      await pipeline(createReadStream(path), hash)
    } catch {
      return 'missing'
    }
    if (hash.digest('hex') === sha256) {
      this.#verified.set(sha256, stamp)
      return 'ok'
    }
    this.#verified.delete(sha256)
    await mkdir(this.quarantineDir, { recursive: true })
    await rename(path, join(this.quarantineDir, `${sha256}.${Date.now()}`)).catch(async () => {
      await rm(path, { force: true })
    })
    this.log?.error({ sha256, quarantine: this.quarantineDir }, 'stored file does not match its hash; quarantined, never served')
    return 'corrupt'
  }

  async init(): Promise<void> {
    await mkdir(this.#tmp, { recursive: true })
    // Left-overs of writes interrupted by a crash: never referenced, drop them.
    await rm(this.#tmp, { recursive: true, force: true })
    await mkdir(this.#tmp, { recursive: true })
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new TypeError('not a sha256 hex digest')
    return join(this.#root, sha256.slice(0, 2), sha256)
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile()
    } catch {
      return false
    }
  }

  async size(sha256: string): Promise<number> {
    return (await stat(this.pathOf(sha256))).size
  }

  read(sha256: string, range?: { start: number; end: number }, chunkBytes?: number): ReadStream {
    return createReadStream(this.pathOf(sha256), { ...range, ...(chunkBytes === undefined ? {} : { highWaterMark: chunkBytes }) })
  }

  /**
   * Streams chunks into the store, hashing on the way. Throws
   * UploadTooLargeError past maxBytes; with expectedSha256, a mismatch throws
   * and nothing is stored.
   */
  async write(chunks: AsyncIterable<Uint8Array>, maxBytes: number, expectedSha256?: string): Promise<StoredBlob> {
    const tmpPath = join(this.#tmp, `${Date.now()}-${randomBytes(8).toString('hex')}`)
    const hash = createHash('sha256')
    let byteSize = 0
    const fh = await open(tmpPath, 'wx', 0o644)
    let sha256: string
    let isOpen = true
    // Any failure (too large, a full disk at write, fsync, mkdir or rename, a wrong hash)
    // removes the tmp file: nothing half-written stays behind until the next start.
    try {
      for await (const chunk of chunks) {
        byteSize += chunk.byteLength
        if (byteSize > maxBytes) throw new UploadTooLargeError(maxBytes)
        hash.update(chunk)
        await fh.write(chunk)
      }
      await fh.sync()
      isOpen = false
      await fh.close()
      sha256 = hash.digest('hex')
      if (expectedSha256 !== undefined && expectedSha256 !== sha256) throw new BlobHashMismatchError(expectedSha256, sha256)
      await mkdir(join(this.#root, sha256.slice(0, 2)), { recursive: true })
      await rename(tmpPath, this.pathOf(sha256))
    } catch (err) {
      if (isOpen) await fh.close().catch(() => undefined)
      await rm(tmpPath, { force: true })
      throw err
    }
    await syncDir(join(this.#root, sha256.slice(0, 2)))
    const st = await stat(this.pathOf(sha256))
    this.#verified.set(sha256, `${st.size}:${st.mtimeMs}:${st.ino}`)
    return { sha256, byteSize }
  }
}

export class BlobHashMismatchError extends Error {
  override readonly name = 'BlobHashMismatchError'
  constructor(
    readonly expected: string,
    readonly actual: string
  ) {
    super(`content hash ${actual} does not match the expected ${expected}`)
  }
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
