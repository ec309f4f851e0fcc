/**
 * Serialises async critical sections. Signing is async but SQLite
 * transactions are sync, so "read head → sign → insert" must not interleave
 * with another publication of the same node.
 */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn)
    this.#tail = result.catch(() => {})
    return result
  }
}
