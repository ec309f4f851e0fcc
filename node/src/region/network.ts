import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import { peerIdOf, type Participant, type SignedEntry } from '@swf/protocol'
import type { NodeConfig } from '../config.js'
import type { EntryStore } from '../services/entry-store.js'
import { Replication } from '../replication/index.js'
import { StartError } from '../errors.js'
import { listenProblem } from '../p2p/listen-problem.js'
import { createHost, type Host } from '../p2p/host.js'
import type { ParticipantDirectory } from './participant-directory.js'
import { registerWithRegistry, RegistrationError } from './registration.js'
import { PeerTracker } from '../p2p/peer-tracker.js'
import { PeerGuard } from '../p2p/peer-guard.js'
import { Dialer, type DialTarget } from '../p2p/dialer.js'

export interface Membership {
  status: 'active' | 'pending' | 'revoked' | 'cut-off' | 'not-listed'
  reason?: string
}

export interface NetworkOptions {
  key: Ed25519PrivateKey
  config: NodeConfig
  directory: ParticipantDirectory
  store: EntryStore
  log: Logger
}

/**
 * The node in the region: keeps connections to the active participants,
 * runs catalog replication over them (gossip and pull, see replication/),
 * and forgets revoked participants and their entries.
 */
export class Network {
  readonly tracker = new PeerTracker()
  readonly guard: PeerGuard
  readonly #opts: NetworkOptions
  readonly #self: string
  #host: Host | undefined
  #replication: Replication | undefined
  #dialer: Dialer | undefined
  readonly #timers: NodeJS.Timeout[] = []
  #stopped = false
  readonly #log: Logger
  registration: { status: string; at: string; error?: string; code?: string } | undefined

  constructor(opts: NetworkOptions) {
    this.#opts = opts
    this.#self = peerIdOf(opts.key)
    // Own messages under part=p2p; each component gets its own part from the root logger (pino repeats a re-bound key).
    this.#log = opts.log.child({ part: 'p2p' })
    this.guard = new PeerGuard(opts.config.p2p.limits, opts.log.child({ part: 'guard' }))
  }

  get host(): Host {
    if (this.#host === undefined) throw new Error('network not started')
    return this.#host
  }

  /** Catalog replication (acceptor, gossip, sync): there once the network has started. */
  get replication(): Replication {
    if (this.#replication === undefined) throw new Error('network not started')
    return this.#replication
  }

  async start(): Promise<void> {
    const { directory, config, store } = this.#opts
    const root = this.#opts.log // each component names its own part
    await directory.loadCache()
    await directory.refresh()
    this.#purgeNonMembers()

    const isAllowed = (peerId: string): boolean => directory.isActive(peerId) && !this.guard.isBanned(peerId)
    const host = (this.#host = await createHost({ key: this.#opts.key, p2p: config.p2p, isAllowed }).catch(async (err: unknown) => {
      throw err instanceof Error && err.name === 'UnsupportedListenAddressesError'
        ? new StartError(await listenProblem(config.p2p.listen))
        : err
    }))
    this.#replication = new Replication(
      { host, store, directory, isAllowed, guard: this.guard, tracker: this.tracker, log: root },
      {
        self: this.#self,
        limits: { ...config.quota, maxClockSkewMs: config.sync.maxClockSkewMs },
        antiEntropyMs: config.sync.antiEntropyMs
      }
    )
    this.guard.on('ban', peer => {
      void host.hangUp(peerIdFromString(peer)).catch(() => {})
    })
    this.#dialer = new Dialer(host, config.p2p.targetPeers, root.child({ part: 'dialer' }))
    host.addEventListener('peer:connect', evt => {
      this.tracker.connected(evt.detail.toString())
    })
    host.addEventListener('peer:disconnect', evt => {
      this.tracker.disconnected(evt.detail.toString())
    })
    await this.#replication.start()
    directory.on('change', ({ removed }) => {
      this.#onMembershipChange(removed)
    })

    this.#log.info({ addresses: host.getMultiaddrs().map(String) }, 'libp2p listening')
    void this.register()
    this.#dialAll()
    this.every(config.sync.registryRefreshMs, () => {
      void directory.refresh()
    })
    this.every(config.sync.redialMs, () => {
      this.#dialAll()
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    for (const t of this.#timers) clearInterval(t)
    await this.#replication?.stop()
    await this.#host?.stop()
  }

  get peerId(): string {
    return this.#self
  }

  /** Every other active participant, dialled by peer id when connected, else by its registered addresses. */
  remoteTargets(): Array<{ peerId: string; dial: PeerId | Multiaddr[] }> {
    return this.#opts.directory
      .participants()
      .filter(p => p.peerId !== this.#self)
      .map(p => ({
        peerId: p.peerId,
        dial:
          this.isConnected(p.peerId) || p.addresses.length === 0
            ? peerIdFromString(p.peerId)
            : p.addresses.map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${p.peerId}`))
      }))
  }

  isConnected(peer: string): boolean {
    return this.#host?.getPeers().some(p => p.toString() === peer) ?? false
  }

  /** Gossips an own entry right after it is committed. */
  publish(entry: SignedEntry): void {
    this.#replication?.publish(entry)
  }

  /** Addresses others should dial: the announce list, or what libp2p listens on. */
  addresses(): string[] {
    const announce = this.#opts.config.p2p.announce
    if (announce.length > 0) return announce
    return this.host.getMultiaddrs().map(a => a.toString())
  }

  /** Sends this node's signed registration (address update) to the registry. */
  async register(): Promise<void> {
    const { config } = this.#opts
    if (config.registry === undefined) return
    try {
      const r = await registerWithRegistry(
        config.registry.url,
        this.#opts.key,
        { kommune: config.kommune.name, ags: config.kommune.ags },
        this.addresses()
      )
      this.registration = {
        status: r.pendingChange === undefined ? r.status : `${r.status}, change awaits the operator`,
        at: new Date().toISOString()
      }
      if (r.pendingChange !== undefined)
        this.#log.warn(
          { change: r.pendingChange },
          'the registry holds the new name or addresses until the region operator approves them (swf-registry approve)'
        )
      else this.#log.info({ status: r.status }, 'registered with the registry')
    } catch (err) {
      this.registration = {
        status: 'failed',
        at: new Date().toISOString(),
        error: (err as Error).message,
        ...(err instanceof RegistrationError && err.code !== undefined ? { code: err.code } : {})
      }
      this.#log.warn({ err: (err as Error).message }, 'registration with the registry failed; will retry at next start')
    }
  }

  #dialTargets(): DialTarget[] {
    const { directory, config } = this.#opts
    const targets = new Map<string, DialTarget>()
    if (config.p2p.dialRegistered) {
      for (const p of directory.participants()) {
        if (p.peerId !== this.#self) targets.set(p.peerId, { peerId: peerIdFromString(p.peerId), addrs: p.addresses })
      }
    }
    for (const addr of config.p2p.bootstrap) {
      const peer = multiaddr(addr)
        .getComponents()
        .find(c => c.name === 'p2p')?.value
      if (peer === undefined || peer === this.#self) continue
      targets.set(peer, { peerId: peerIdFromString(peer), addrs: [...(targets.get(peer)?.addrs ?? []), addr], always: true })
    }
    return [...targets.values()].filter(t => this.#opts.directory.isActive(t.peerId.toString()))
  }

  #dialAll(): void {
    if (this.#stopped || this.#dialer === undefined) return
    this.#dialer.round(this.#self, this.#dialTargets())
  }

  /**
   * Whether this node is in the region, and if not, why: what an operator
   * needs to see (a wrong pinned key, waiting for approval, revoked).
   */
  membership(): Membership {
    const { directory } = this.#opts
    const reg = this.registration
    if (directory.isActive(this.#self)) return { status: 'active' }
    if (reg?.code === 'revoked')
      return { status: 'revoked', reason: 'the region operator revoked this node; ask them (swf-registry list shows it)' }
    if (directory.serial === 0) {
      return {
        status: 'cut-off',
        reason: directory.lastFetchError === undefined ? 'no participant list yet' : `no participant list: ${directory.lastFetchError}`
      }
    }
    if (reg?.status === 'pending')
      return { status: 'pending', reason: `waiting for the region operator: swf-registry approve ${this.#self}` }
    if (reg?.status === 'active') return { status: 'pending', reason: 'approved; waiting for the next participant list' }
    return { status: 'not-listed', reason: reg?.error ?? 'not in the participant list' }
  }

  #onMembershipChange(removed: string[]): void {
    // Dropped from the list: ask the registry why (revoked or deleted), for status.
    if (removed.includes(this.#self)) void this.register()
    this.#purgeNonMembers()
    for (const peer of removed) {
      this.#log.info({ peer }, 'participant left the region; disconnecting')
      void this.#host?.hangUp(peerIdFromString(peer)).catch(() => {})
    }
    this.#dialAll()
  }

  /** Entries of publishers that are not (or no longer) active participants disappear. */
  #purgeNonMembers(): void {
    const { directory, store } = this.#opts
    if (directory.serial === 0) return // no list at all yet: keep everything until one arrives
    const gone = store
      .publisherStates()
      .map(s => s.peerId)
      .filter(p => p !== this.#self && !directory.isPublisher(p))
    // A purge that fails must not cost the node its new list (nor its start): logged, and tried again on the next change.
    try {
      const removed = store.purgePublishers(gone)
      if (removed > 0) this.#log.info({ publishers: gone.length, entries: removed }, 'removed entries of publishers that no longer belong')
    } catch (err) {
      this.#log.error({ err, publishers: gone }, 'could not remove the entries of publishers that no longer belong')
    }
  }

  /** Active participants of the region (from the registry's list). */
  participants(): Participant[] {
    return this.#opts.directory.participants()
  }

  /** Runs fn every ms until the network stops. */
  every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms)
    t.unref()
    this.#timers.push(t)
  }
}
