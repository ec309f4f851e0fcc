import type { Logger } from 'pino'
import { filesOfEntry, type SignedEntry } from '@swf/protocol'
import type { BlobStore } from '../blob-store.js'
import type { BlobIndex } from '../services/blob-index.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { DataAccess } from './data-access.js'

/** Files fetched at once while catching up: a restored node asks for its lost files a few at a time, not all at once. */
export const MIRROR_FETCHES_AT_ONCE = 2
/** Missing files named in the log. */
const NAMED_MISSING = 5

interface WantedFile {
  publisher: string
  sha256: string
  byteSize: number
}

/**
 * The files this node keeps: its own (published here; after a restore from
 * an older backup some may be gone) and, opt-in, verified copies of the files
 * of chosen publishers (config `mirror.publishers`), so neighbours back each
 * other up and serve the files while a publisher's node is offline. What is
 * missing is counted (status, log) and fetched from any holder in the region.
 */
export class Mirror {
  readonly #queue: WantedFile[] = []
  readonly #queued = new Set<string>()
  #fetching = 0
  /** Files this node should hold and lacks, by sha256, as of the last check. */
  readonly #missing = new Map<string, WantedFile>()
  /** The count last reported: a warning when more are found missing, a note when none are left — not a line per round or file. */
  #reported = 0
  #checkedOnce = false

  constructor(
    /** This node's publisher id: its own files are kept too. */
    private readonly self: string,
    /** Mirrored publishers: config entries are peer ids or AGS, resolved on each call. */
    private readonly mirrored: () => Set<string>,
    private readonly regional: RegionalCatalog,
    private readonly blobIndex: BlobIndex,
    private readonly blobStore: BlobStore,
    private readonly access: DataAccess,
    private readonly log: Logger
  ) {}

  get enabled(): boolean {
    return this.mirrored().size > 0
  }

  /** How many files this node should hold (its own and the mirrored publishers') it lacks, as of the last check. */
  missingFiles(): number {
    return this.#missing.size
  }

  /**
   * Called with entries just stored from the network: the files of every kind
   * (distributions, images) of mirrored publishers are fetched; this node's own
   * entries come back from its neighbours only after a restore, and their
   * files, where lacking, count as missing at once.
   */
  onEntries(entries: SignedEntry[]): void {
    const filesOf = (e: SignedEntry): WantedFile[] => filesOfEntry(e.payload).map(f => ({ publisher: e.payload.publisher, ...f }))
    const own = entries.filter(e => e.payload.publisher === this.self).flatMap(filesOf)
    if (own.length > 0) void this.#check(own)
    const mirrored = this.mirrored()
    this.#enqueue(entries.filter(e => mirrored.has(e.payload.publisher)).flatMap(filesOf))
  }

  /**
   * Checks every file this node should hold: at start, every anti-entropy
   * round while anything is missing or publishers are mirrored, and when a
   * peer connects while something is missing (it may hold it). The mirrored
   * publishers' copies are also verified (a corrupt one is fetched again).
   */
  async catchUp(): Promise<void> {
    const mirrored = [...this.mirrored()]
    if (mirrored.length === 0 && this.#missing.size === 0 && this.#checkedOnce) return
    this.#checkedOnce = true
    await this.#check(this.regional.liveFilesOf([this.self, ...mirrored]), true)
  }

  /** A peer connected: if anything is missing, it may hold it. */
  onPeerConnected(): void {
    if (this.#missing.size > 0) this.#enqueue([...this.#missing.values()])
  }

  /** Which of `files` are missing (no index row, or no file on disk): counted, logged, and queued with the mirrored ones. */
  async #check(files: WantedFile[], complete = false): Promise<void> {
    const missing = new Map<string, WantedFile>()
    for (const f of files) {
      if (missing.has(f.sha256)) continue
      // A mirrored publisher's new file on its way here for the first time is not missing (yet).
      if (f.publisher !== this.self && this.#queued.has(f.sha256) && !this.#missing.has(f.sha256)) continue
      const held = this.blobIndex.get(f.sha256) !== undefined && (await this.blobStore.has(f.sha256))
      if (!held) missing.set(f.sha256, f)
    }
    // A complete check replaces what was missing; one for new entries adds to it.
    if (complete) this.#missing.clear()
    for (const [sha256, f] of missing) this.#missing.set(sha256, f)
    this.#report()
    // Own files are verified whenever they are served; a mirror's copies each round.
    this.#enqueue([...missing.values(), ...files.filter(f => f.publisher !== this.self)])
  }

  /** A warning when more files are missing than last said (the first few named), a note when none are left. */
  #report(): void {
    const count = this.#missing.size
    if (count > this.#reported) {
      const files = [...this.#missing.values()]
      const own = files.filter(f => f.publisher === this.self).length
      this.log.warn(
        { missing: count, own, files: this.#namesOf(files.slice(0, NAMED_MISSING)) },
        own > 0
          ? 'files this node should hold are missing (its own: restored from an older backup?); fetching them from the region'
          : 'files of mirrored publishers this node should hold are missing; fetching them from the region'
      )
    } else if (count === 0 && this.#reported > 0) {
      this.log.info('every file this node should hold is here again')
    }
    this.#reported = count
  }

  /** "publisher/dataset/distribution" of each file where a dataset names it, else its sha256. */
  #namesOf(files: WantedFile[]): string[] {
    const names = new Map<string, string>()
    for (const { publisher, dataset } of this.regional.liveDatasetsOf([...new Set(files.map(f => f.publisher))])) {
      for (const d of dataset.distributions) if (d.sha256 !== undefined) names.set(d.sha256, `${publisher}/${dataset.id}/${d.id}`)
    }
    return files.map(f => names.get(f.sha256) ?? `${f.publisher}/sha256:${f.sha256}`)
  }

  #enqueue(files: WantedFile[]): void {
    for (const f of files) {
      if (this.#queued.has(f.sha256)) continue
      this.#queued.add(f.sha256)
      this.#queue.push(f)
    }
    while (this.#fetching < MIRROR_FETCHES_AT_ONCE && this.#queue.length > 0) void this.#drain()
  }

  async #drain(): Promise<void> {
    this.#fetching++
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        try {
          // Held and intact is indexed and kept; otherwise fetched from a holder.
          await this.access.verifiedLocal(job.publisher, job.sha256, job.byteSize)
          if (this.#missing.delete(job.sha256)) this.#report()
        } catch (err) {
          // Retried at the next catch-up (anti-entropy interval) or when a peer connects.
          this.log.debug({ sha256: job.sha256, err: (err as Error).message }, 'mirror fetch failed')
        } finally {
          this.#queued.delete(job.sha256)
        }
      }
    } finally {
      this.#fetching--
    }
  }
}
