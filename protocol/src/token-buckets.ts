interface Bucket {
  tokens: number
  at: number
}

/**
 * Token buckets by key (a peer id, a client address): `ratePerSecond`
 * sustained, `burst` at once. Used for per-peer request limits on libp2p and
 * per-address write limits on HTTP. Idle full buckets are forgotten, so
 * memory follows the active keys, not every key ever seen.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>()

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number
  ) {}

  /** Takes `n` tokens if there are; false means: over the limit. */
  take(key: string, n = 1, now = Date.now()): boolean {
    const b = this.#refill(key, now)
    if (b.tokens < n) return false
    b.tokens -= n
    return true
  }

  /** Seconds until one token is back for `key` (for Retry-After). */
  secondsUntilToken(key: string, now = Date.now()): number {
    const b = this.#refill(key, now)
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / this.ratePerSecond)
  }

  #refill(key: string, now: number): Bucket {
    const b = this.#buckets.get(key) ?? { tokens: this.burst, at: now }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSecond)
    b.at = now
    this.#buckets.set(key, b)
    if (this.#buckets.size > 10_000) this.#forgetFull(now)
    return b
  }

  #forgetFull(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.ratePerSecond >= this.burst) this.#buckets.delete(k)
    }
  }
}

/**
 * At most `max` things under way per key (a peer id, a client address):
 * take() a slot before the work, release() it after, whatever happened.
 * Keys without work under way are forgotten.
 */
export class KeyedSlots {
  readonly #running = new Map<string, number>()

  constructor(readonly max: number) {}

  /** Under way now for `key`. */
  count(key: string): number {
    return this.#running.get(key) ?? 0
  }

  /** Takes a slot; false means: `key` has `max` under way already. */
  take(key: string): boolean {
    const n = this.count(key)
    if (n >= this.max) return false
    this.#running.set(key, n + 1)
    return true
  }

  release(key: string): void {
    const n = this.count(key) - 1
    if (n <= 0) this.#running.delete(key)
    else this.#running.set(key, n)
  }
}
