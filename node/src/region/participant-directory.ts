import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import { writeFileAtomic } from '../write-file-atomic.js'
import {
  InvalidEntryError,
  jwsKeyId,
  peerIdOfPublicJwk,
  publicJwkSchema,
  verifyParticipantList,
  verifyRegistryHandover,
  type Ed25519PublicJwk,
  type Participant,
  type ParticipantList
} from '@swf/protocol'

export interface DirectoryOptions {
  registryUrl: string
  registryKey: Ed25519PublicJwk
  cacheFile: string
  /** Where a registry key reached by a signed hand-over is kept (it then replaces `registryKey`). */
  pinnedKeyFile?: string
  log: Logger
  /** Per-request timeout against the registry. */
  timeoutMs?: number
  /** Age past which the list counts as stale (status, metrics, web UI, a warning in the log). */
  maxListAgeMs?: number
}

export interface DirectoryEvents {
  /** A newer list was accepted: who joined and who left. */
  change: [{ serial: number; added: string[]; removed: string[] }]
}

/**
 * The region's participant list as this node trusts it: fetched from the
 * registry, accepted only with the pinned key's signature and a serial not
 * below the one held, cached on disk so the node keeps working while the
 * registry is down.
 */
export class ParticipantDirectory extends EventEmitter<DirectoryEvents> {
  readonly #opts: DirectoryOptions
  #registryKey: Ed25519PublicJwk
  #registryPeerId: string
  #list: ParticipantList | undefined
  #byPeer = new Map<string, Participant>()
  /** Retired keys of active participants: their entries stay valid, connections do not. */
  #retired = new Map<string, Participant>()
  lastFetchAt: string | undefined
  lastFetchError: string | undefined
  /** When the registry last confirmed the list held (fetched it, changed or not), or when the held list was signed. */
  #confirmedAt: number | undefined
  /** The registry's ETag of the list held: the next fetch is conditional (304 when unchanged). */
  #etag: string | undefined

  constructor(opts: DirectoryOptions) {
    super()
    this.#opts = opts
    this.#registryKey =
      opts.pinnedKeyFile !== undefined && existsSync(opts.pinnedKeyFile)
        ? publicJwkSchema.parse(JSON.parse(readFileSync(opts.pinnedKeyFile, 'utf8')))
        : opts.registryKey
    this.#registryPeerId = peerIdOfPublicJwk(this.#registryKey)
  }

  /**
   * How old the list is: time since the registry last confirmed it. A
   * registry that answers 503 freezes the list, and a revocation with it.
   */
  listAgeMs(now = Date.now()): number | null {
    return this.#confirmedAt === undefined ? null : now - this.#confirmedAt
  }

  /** Older than `maxListAgeMs` (config `sync.maxListAgeMs`). */
  isStale(now = Date.now()): boolean {
    const age = this.listAgeMs(now)
    return age !== null && age > (this.#opts.maxListAgeMs ?? 600_000)
  }

  get serial(): number {
    return this.#list?.serial ?? 0
  }

  get registryPeerId(): string {
    return this.#registryPeerId
  }

  /** May connect: an active participant's current key. */
  isActive(peerId: string): boolean {
    return this.#byPeer.has(peerId)
  }

  /** May have entries: an active participant's current key or one of its retired keys. */
  isPublisher(peerId: string): boolean {
    return this.#byPeer.has(peerId) || this.#retired.has(peerId)
  }

  /** The participant a key belongs to; for a retired key, with that key as `peerId`/`publicKeyJwk`. */
  get(peerId: string): Participant | undefined {
    return this.#byPeer.get(peerId) ?? this.#retired.get(peerId)
  }

  participants(): Participant[] {
    return [...this.#byPeer.values()]
  }

  /** Loads the cached list; a tampered cache or one signed by another key is refused (and logged). */
  async loadCache(): Promise<boolean> {
    let jws: string
    try {
      jws = (await readFile(this.#opts.cacheFile, 'utf8')).trim()
    } catch {
      return false
    }
    try {
      await this.#accept(jws, 'cache')
      return true
    } catch (err) {
      this.#opts.log.error({ err: (err as Error).message, file: this.#opts.cacheFile }, 'cached participant list refused')
      return false
    }
  }

  /** Fetches the list once. Never throws: a registry outage leaves the current list in force. */
  async refresh(): Promise<boolean> {
    try {
      const res = await fetch(`${this.#opts.registryUrl.replace(/\/+$/, '')}/participants`, {
        headers: this.#etag !== undefined && this.#list !== undefined ? { 'if-none-match': this.#etag } : {},
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 10_000)
      })
      if (res.status === 304) {
        this.#confirmed()
        return false
      }
      if (!res.ok) throw new Error(`registry answered ${res.status}`)
      const jws = (await res.text()).trim()
      const accepted = await this.#accept(jws, 'registry')
      this.#etag = res.headers.get('etag') ?? undefined
      this.#confirmed()
      if (accepted) await this.#saveCache(jws)
      return accepted
    } catch (err) {
      this.lastFetchError = (err as Error).message
      const ageMs = this.listAgeMs()
      this.#opts.log.warn(
        { err: this.lastFetchError, listAgeSeconds: ageMs === null ? null : Math.round(ageMs / 1000), stale: this.isStale() },
        this.isStale()
          ? 'participant list is stale: the registry has not confirmed it for too long (revocations may be withheld)'
          : 'participant list not refreshed; keeping the one held'
      )
      return false
    }
  }

  #confirmed(): void {
    this.lastFetchAt = new Date().toISOString()
    this.#confirmedAt = Date.now()
    this.lastFetchError = undefined
  }

  async #accept(jws: string, source: 'cache' | 'registry'): Promise<boolean> {
    const signer = jwsKeyId(jws)
    if (source === 'registry' && signer !== undefined && signer !== this.#registryPeerId) await this.#followHandovers(signer)
    let list: ParticipantList
    try {
      list = await verifyParticipantList(jws, this.#registryKey, this.#registryPeerId)
    } catch (err) {
      if (err instanceof InvalidEntryError) throw new Error(`participant list from ${source} refused: ${err.message}`, { cause: err })
      throw err
    }
    if (this.#list !== undefined && list.serial < this.#list.serial) {
      throw new Error(`participant list from ${source} has serial ${list.serial} < held ${this.#list.serial} (rollback refused)`)
    }
    if (this.#list !== undefined && list.serial === this.#list.serial) return false
    if (source === 'cache') this.#confirmedAt = Date.parse(list.issuedAt)
    const before = new Set(this.#byPeer.keys())
    this.#list = list
    const active = list.participants.filter(p => p.status === 'active')
    this.#byPeer = new Map(active.map(p => [p.peerId, p]))
    this.#retired = new Map(
      active.flatMap(p => (p.retiredKeys ?? []).map(k => [k.peerId, { ...p, peerId: k.peerId, publicKeyJwk: k.publicKeyJwk }] as const))
    )
    const added = [...this.#byPeer.keys()].filter(p => !before.has(p))
    const removed = [...before].filter(p => !this.#byPeer.has(p))
    this.#opts.log.info({ serial: list.serial, participants: this.#byPeer.size, source }, 'participant list accepted')
    this.emit('change', { serial: list.serial, added, removed })
    return true
  }

  /**
   * The list is signed by another key: follow the registry's hand-overs from
   * the pinned key, each signed by the key before it, to `target`. Only then
   * is the new key pinned (and kept on disk); any break in the chain refuses.
   */
  async #followHandovers(target: string): Promise<void> {
    const res = await fetch(`${this.#opts.registryUrl.replace(/\/+$/, '')}/registry/handovers`, {
      signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 10_000)
    })
    const body = res.ok ? ((await res.json().catch(() => null)) as { handovers?: unknown } | null) : null
    const chain = Array.isArray(body?.handovers) ? body.handovers.filter((h): h is string => typeof h === 'string') : []
    let key = this.#registryKey
    for (const jws of chain) {
      if (peerIdOfPublicJwk(key) === target) break
      try {
        key = (await verifyRegistryHandover(jws, key)).newPublicKeyJwk
      } catch {
        // Not from the key held now (an earlier link, or a forgery): skip it.
      }
    }
    if (peerIdOfPublicJwk(key) !== target)
      throw new Error(
        `participant list from registry refused: signed by ${target}, not the pinned registry key, and no signed hand-over leads there`
      )
    const { kid: _, ...jwk } = key
    if (this.#opts.pinnedKeyFile !== undefined) await writeFileAtomic(this.#opts.pinnedKeyFile, JSON.stringify(jwk) + '\n')
    this.#opts.log.warn({ from: this.#registryPeerId, to: target }, 'registry key changed by a signed hand-over; new key pinned')
    this.#registryKey = jwk
    this.#registryPeerId = target
  }

  async #saveCache(jws: string): Promise<void> {
    await writeFileAtomic(this.#opts.cacheFile, jws + '\n')
  }
}
