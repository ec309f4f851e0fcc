import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { createVerifier, type SignatureCheck } from './ed25519-verify.js'

/** One signature to check: the publisher's raw key (JWK x), the JWS signing input and signature. */
export type { SignatureCheck }

interface Pending {
  resolve: (ok: boolean[]) => void
  reject: (err: Error) => void
}

/** Batches smaller than this are verified on the calling thread: posting costs more than it saves. */
const MIN_BATCH_FOR_WORKERS = 32
/** Workers end after this long without work: an idle node does not keep their memory (~10 MB each). */
const WORKER_IDLE_MS = 30_000

/**
 * Verifies Ed25519 signatures in bulk on worker threads, so a cold sync of
 * 100,000 entries uses every core instead of one. Workers start on first use,
 * end after WORKER_IDLE_MS without work, and do not keep the process alive.
 */
export class SignaturePool {
  readonly #size: number
  readonly #idleMs: number
  readonly #workers: Worker[] = []
  readonly #pending = new Map<number, Pending>()
  readonly #verifyHere = createVerifier()
  #next = 0
  #closed = false
  #idleTimer: NodeJS.Timeout | undefined

  constructor(size = availableParallelism(), { idleMs = WORKER_IDLE_MS }: { idleMs?: number } = {}) {
    this.#size = size
    this.#idleMs = idleMs
  }

  /** Worker threads running now (0 before the first large batch and after idleMs without one). */
  get threads(): number {
    return this.#workers.length
  }

  async verify(checks: SignatureCheck[]): Promise<boolean[]> {
    if (checks.length < MIN_BATCH_FOR_WORKERS || this.#closed) return checks.map(this.#verifyHere)
    const workers = this.#ensureWorkers()
    const chunk = Math.ceil(checks.length / workers.length)
    const parts = await Promise.all(
      workers.map(async (w, i) => {
        const items = checks.slice(i * chunk, (i + 1) * chunk)
        return items.length === 0 ? [] : this.#post(w, items)
      })
    )
    this.#stopWhenIdle()
    return parts.flat()
  }

  #stopWhenIdle(): void {
    clearTimeout(this.#idleTimer)
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size === 0) for (const w of this.#workers.splice(0)) void w.terminate()
    }, this.#idleMs)
    this.#idleTimer.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#idleTimer)
    await Promise.all(this.#workers.splice(0).map(async w => w.terminate()))
  }

  async #post(worker: Worker, items: SignatureCheck[]): Promise<boolean[]> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      worker.postMessage({ id, items })
    })
  }

  #ensureWorkers(): Worker[] {
    while (this.#workers.length < this.#size) {
      const w = new Worker(new URL('./signature-worker.js', import.meta.url))
      w.unref()
      w.on('message', ({ id, ok }: { id: number; ok: boolean[] }) => {
        const p = this.#pending.get(id)
        this.#pending.delete(id)
        p?.resolve(ok)
      })
      // A dead worker fails what it held and is replaced on next use.
      w.on('error', err => {
        this.#failAll(err)
      })
      w.on('exit', () => {
        const i = this.#workers.indexOf(w)
        if (i >= 0) this.#workers.splice(i, 1)
      })
      this.#workers.push(w)
    }
    return this.#workers
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err)
    this.#pending.clear()
  }
}
