import type { Logger } from 'pino'
import type { DatasetMetadata, SignedEntry } from '@swf/protocol'
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

  /** Called with entries just stored from the network. */
  onEntries(entries: SignedEntry[]): void {
    for (const e of entries) {
      if (this.mirrored().has(e.payload.publisher) && e.payload.dataset !== undefined) this.#enqueue(e.payload.publisher, e.payload.dataset)
    }
  }

  /** Queues every file of the mirrored publishers that is not held yet. */
  catchUp(): void {
    const publishers = [...this.mirrored()]
    if (publishers.length === 0) return
    for (const r of this.regional.liveDatasetsOf(publishers)) this.#enqueue(r.publisher, r.dataset)
  }

  #enqueue(publisher: string, dataset: DatasetMetadata): void {
    for (const d of dataset.distributions) {
      if (d.sha256 !== undefined && d.byteSize !== undefined && !this.#queue.some(q => q.sha256 === d.sha256)) {
        this.#queue.push({ publisher, sha256: d.sha256, byteSize: d.byteSize })
      }
    }
    void this.#drain()
  }

  async #drain(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      while (this.#queue.length > 0) {
        const job = this.#queue.shift()!
        if (await this.blobStore.has(job.sha256)) continue
        try {
          await this.access.ensure(job.publisher, job.sha256, job.byteSize)
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
