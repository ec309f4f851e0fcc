/** Why a wait for a slot ended without one. */
export type SlotRefusal = 'full' | 'shed' | 'aborted'

export class SlotRefusedError extends Error {
  override readonly name = 'SlotRefusedError'
  constructor(
    readonly reason: SlotRefusal,
    message: string
  ) {
    super(message)
  }
}

export interface FairSlotsOptions {
  /** Holders at once. */
  max: number
  /** Waiters at once, all keys together. */
  maxWaiting: number
  /** Grants per second, sustained (a token bucket over all keys); none: only `max` bounds them. */
  ratePerSecond?: number
  /** Grants at once before the rate applies. */
  burst?: number
}

/** How long a key's use counts against it: it halves every this many ms. */
const USAGE_HALF_LIFE_MS = 10_000
/** Keys whose use has faded below this are forgotten (when there are many). */
const FORGOTTEN_USAGE = 0.05
const MAX_REMEMBERED_KEYS = 10_000

interface Waiter {
  key: string
  seq: number
  grant: (release: () => void) => void
  refuse: (err: SlotRefusedError) => void
}

/**
 * A few slots shared by many keys (client addresses, askers), with a short
 * fair wait instead of an instant refusal: a freed slot goes to the waiter
 * whose key used the fewest slots lately (first come among equals), so a
 * client asking now and then is served before the ones looping; when the
 * waiting room is full, the heaviest key's newest waiter is shed (or the
 * newcomer, when it is the heaviest). A wait ends when its signal aborts.
 */
export class FairSlots {
  readonly #opts: FairSlotsOptions
  readonly #waiting: Waiter[] = []
  readonly #usage = new Map<string, { score: number; at: number }>()
  #running = 0
  #seq = 0
  #tokens: number
  #tokensAt = Date.now()
  #timer: NodeJS.Timeout | undefined

  constructor(opts: FairSlotsOptions) {
    this.#opts = opts
    this.#tokens = opts.burst ?? 1
  }

  get running(): number {
    return this.#running
  }

  get waiting(): number {
    return this.#waiting.length
  }

  /** Resolves with the slot's release function; rejects with a SlotRefusedError. */
  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new SlotRefusedError('aborted', 'gave up waiting'))
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(waiter)
        if (i < 0) return
        this.#waiting.splice(i, 1)
        reject(new SlotRefusedError('aborted', 'gave up waiting'))
      }
      const waiter: Waiter = {
        key,
        seq: this.#seq++,
        grant: release => {
          signal?.removeEventListener('abort', onAbort)
          resolve(release)
        },
        refuse: err => {
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        }
      }
      this.#waiting.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#pump()
      if (this.#waiting.length > this.#opts.maxWaiting) {
        const shed = this.#heaviest(Date.now())
        this.#waiting.splice(this.#waiting.indexOf(shed), 1)
        shed.refuse(
          shed === waiter
            ? new SlotRefusedError('full', `${this.#opts.maxWaiting} waiting already`)
            : new SlotRefusedError('shed', 'shed for a client that asked less')
        )
      }
    })
  }

  #pump(): void {
    while (this.#running < this.#opts.max && this.#waiting.length > 0) {
      const now = Date.now()
      if (!this.#takeToken(now)) return
      const next = this.#lightest(now)
      this.#waiting.splice(this.#waiting.indexOf(next), 1)
      this.#running++
      this.#use(next.key, now)
      let released = false
      next.grant(() => {
        if (released) return
        released = true
        this.#running--
        this.#pump()
      })
    }
  }

  /** Takes a token of the rate, or arranges to pump again when the next one is due. */
  #takeToken(now: number): boolean {
    const rate = this.#opts.ratePerSecond
    if (rate === undefined) return true
    this.#tokens = Math.min(this.#opts.burst ?? 1, this.#tokens + ((now - this.#tokensAt) / 1000) * rate)
    this.#tokensAt = now
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return true
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined
          this.#pump()
        },
        Math.ceil(((1 - this.#tokens) / rate) * 1000)
      )
      // A waiter keeps its own promise pending; the timer alone must not keep the process up.
      this.#timer.unref()
    }
    return false
  }

  /** The waiter of the key that used the fewest lately (the oldest among equals). */
  #lightest(now: number): Waiter {
    let best = this.#waiting[0]!
    let bestUse = this.#usageOf(best.key, now)
    for (const w of this.#waiting) {
      const use = this.#usageOf(w.key, now)
      if (use < bestUse || (use === bestUse && w.seq < best.seq)) {
        best = w
        bestUse = use
      }
    }
    return best
  }

  /** The waiter of the key that used the most lately (the newest among equals). */
  #heaviest(now: number): Waiter {
    let worst = this.#waiting[0]!
    let worstUse = this.#usageOf(worst.key, now)
    for (const w of this.#waiting) {
      const use = this.#usageOf(w.key, now)
      if (use > worstUse || (use === worstUse && w.seq > worst.seq)) {
        worst = w
        worstUse = use
      }
    }
    return worst
  }

  #usageOf(key: string, now: number): number {
    const u = this.#usage.get(key)
    return u === undefined ? 0 : u.score * 2 ** (-(now - u.at) / USAGE_HALF_LIFE_MS)
  }

  #use(key: string, now: number): void {
    this.#usage.set(key, { score: this.#usageOf(key, now) + 1, at: now })
    if (this.#usage.size > MAX_REMEMBERED_KEYS) {
      for (const k of this.#usage.keys()) if (this.#usageOf(k, now) < FORGOTTEN_USAGE) this.#usage.delete(k)
    }
  }
}
