import type { Logger } from 'pino'
import { filesOfEntry, type SignedEntry } from '@swf/protocol'
import type { BlobStore } from '../blob-store.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { DataAccess } from './data-access.js'

/**
 * Opt-in mirroring: keeps verified copies of the files of chosen publishers
 * (config `mirror.publishers`), so neighbours back each other up and serve
 * the files while a publisher's node is offline.
 */
export class Mirror {
  readonly #queue: Array<{ publisher: string; sha256: string; byteSize: number }> = []
  #running = false

  constructor(
    /** Mirrored publishers: config entries are peer ids or AGS, resolved on each call. */
    private readonly mirrored: () => Set<string>,
    private readonly regional: RegionalCatalog,
    private readonly blobStore: BlobStore,
    private readonly access: DataAccess,
    private readonly log: Logger
  ) {}

  get enabled(): boolean {
    return this.mirrored().size > 0
  }

  /** Called with entries just stored from the network: the files of every kind (distributions, images). */
  onEntries(entries: SignedEntry[]): void {
    for (const e of entries) {
      if (this.mirrored().has(e.payload.publisher))
        this.#enqueue(filesOfEntry(e.payload).map(f => ({ publisher: e.payload.publisher, ...f })))
    }
  }

  /** Queues every file of the mirrored publishers that is not held yet. */
  catchUp(): void {
    const publishers = [...this.mirrored()]
    if (publishers.length === 0) return
    this.#enqueue(this.regional.liveFilesOf(publishers))
  }

  #enqueue(files: Array<{ publisher: string; sha256: string; byteSize: number }>): void {
    for (const f of files) {
      if (!this.#queue.some(q => q.sha256 === f.sha256)) this.#queue.push(f)
    }
    void this.#drain()
  }

  async #drain(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      while (this.#queue.length > 0) {
        const job = this.#queue.shift()!
        try {
          // Held and intact is indexed and kept; otherwise fetched from a holder.
          await this.access.verifiedLocal(job.publisher, job.sha256, job.byteSize)
        } catch (err) {
          // Retried at the next catch-up (anti-entropy interval).
          this.log.debug({ sha256: job.sha256, err: (err as Error).message }, 'mirror fetch failed')
        }
      }
    } finally {
      this.#running = false
    }
  }
}
