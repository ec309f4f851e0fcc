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

/**
 * Verifies Ed25519 signatures in bulk on worker threads, so a cold sync of
 * 100,000 entries uses every core instead of one. Workers start on first use
 * and do not keep the process alive.
 */
export class SignaturePool {
  readonly #size: number
  readonly #workers: Worker[] = []
  readonly #pending = new Map<number, Pending>()
  readonly #verifyHere = createVerifier()
  #next = 0
  #closed = false

  constructor(size = availableParallelism()) {
    this.#size = size
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
    return parts.flat()
  }

  async close(): Promise<void> {
    this.#closed = true
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
