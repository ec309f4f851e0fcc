import type { PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import {
  decodeSyncNext, decodeSyncPage, decodeSyncRequest, encodeSyncMessage, MAX_SYNC_FRAME_BYTES, MAX_SYNC_PAGE_ENTRIES, SYNC_PROTOCOL,
  CodecError, type SyncPage
} from '../../../protocol/src/index.js'
import { isProvableForgery, type EntryAcceptor } from '../services/entry-acceptor.js'
import type { EntryStore } from '../services/entry-store.js'
import { closeStream } from './close-stream.js'
import { framedStream } from './framed-stream.js'
import type { Host } from './host.js'
import type { PeerGuard } from './peer-guard.js'
import type { PeerTracker } from './peer-tracker.js'

/** Bytes of JWS per page, well under the frame limit. */
const PAGE_BYTES = 1024 * 1024
const REQUEST_TIMEOUT_MS = 10_000
const PAGE_TIMEOUT_MS = 30_000

export interface PullResult {
  received: number
  stored: number
  rejected: number
}

/** A pull under way: how many entries the peer announced and how many arrived. */
export interface PullProgress {
  peerId: string
  expected: number | null
  received: number
}

/**
 * Pull half of catalog sync (anti-entropy): the asker sends its version
 * vector; the responder streams every entry the asker lacks, of every
 * publisher it holds — relaying is how an offline Kommune stays in the
 * catalog. Pages are length-prefixed; the responder sends a page only when
 * asked, and the asker asks for one page ahead — the back-pressure.
 */
export class CatalogSync {
  readonly #progress = new Map<string, PullProgress>()

  constructor (
    private readonly host: Host,
    private readonly store: EntryStore,
    private readonly acceptor: EntryAcceptor,
    private readonly tracker: PeerTracker,
    private readonly members: { isAllowed: (peerId: string) => boolean, isPublisher: (peerId: string) => boolean },
    private readonly log: Logger,
    private readonly guard: PeerGuard
  ) {}

  async start (): Promise<void> {
    await this.host.handle(SYNC_PROTOCOL, async (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (!this.guard.allowRequest(peer)) {
        stream.abort(new Error('rate limited'))
        return
      }
      await this.#serve(stream, connection.remotePeer).catch(err => {
        // A malformed request is the peer's fault and worth an operator's eye; aborts are routine.
        const level = err instanceof CodecError ? 'warn' : 'debug'
        if (err instanceof CodecError) this.guard.strike(peer, 'undecodable frame')
        this.log[level]({ err: (err as Error).message, peer: connection.remotePeer.toString() }, 'sync request dropped')
        stream.abort(err as Error)
      })
    }, { maxInboundStreams: 4 })
  }

  async stop (): Promise<void> {
    await this.host.unhandle(SYNC_PROTOCOL)
  }

  /** Pulls everything `peer` holds that this node lacks. */
  async pull (peer: string | PeerId): Promise<PullResult> {
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const from = peerId.toString()
    const result: PullResult = { received: 0, stored: 0, rejected: 0 }
    const progress: PullProgress = { peerId: from, expected: null, received: 0 }
    const stream = await this.host.dialProtocol(peerId, SYNC_PROTOCOL, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    this.#progress.set(from, progress)
    try {
      const io = framedStream(stream, MAX_SYNC_FRAME_BYTES, PAGE_TIMEOUT_MS)
      await io.write(encodeSyncMessage({ type: 'sync-request', have: this.store.versionVector() }))
      for (;;) {
        const page = decodeSyncPage(await io.read())
        if (page.remaining !== undefined) progress.expected = page.remaining
        // Ask for the next page before checking this one, so the responder reads
        // and sends while this node verifies: at most one page waits unread.
        if (!page.done) await io.write(encodeSyncMessage({ type: 'sync-next' }))
        const r = await this.acceptor.accept(page.entries, `sync:${from}`)
        result.received += page.entries.length
        progress.received = result.received
        result.stored += r.stored.length
        result.rejected += r.rejected.length
        this.tracker.received(from, r.stored.length, r.rejected.length)
        const forged = r.rejected.filter(x => isProvableForgery(x.reason)).length
        if (forged > 0) this.guard.strike(from, 'forged entries in a sync page', forged)
        if (this.guard.isBanned(from)) throw new Error('peer banned while syncing')
        if (page.done) break
      }
      await closeStream(stream)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      this.#progress.delete(from)
    }
    this.tracker.synced(from)
    return result
  }

  /** Pulls under way now. */
  progress (): PullProgress[] {
    return [...this.#progress.values()].map(p => ({ ...p }))
  }

  async #serve (stream: Stream, remote: PeerId): Promise<void> {
    if (!this.members.isAllowed(remote.toString())) throw new Error('peer is not an active participant')
    const io = framedStream(stream, MAX_SYNC_FRAME_BYTES, PAGE_TIMEOUT_MS)
    const request = decodeSyncRequest(await io.read(REQUEST_TIMEOUT_MS))
    let page: string[] = []
    let bytes = 0
    // Relay only publishers that still belong (current or retired keys; never revoked ones).
    const states = this.store.publisherStates().filter(s => this.members.isPublisher(s.peerId) || s.peerId === this.host.peerId.toString())
    let remaining: number | undefined = states.reduce((n, s) => n + Math.max(0, s.maxSeq - (request.have[s.peerId] ?? 0)), 0)
    const flush = async (done: boolean): Promise<void> => {
      const msg: SyncPage = { type: 'sync-page', entries: page, done, ...(remaining === undefined ? {} : { remaining }) }
      remaining = undefined // announced on the first page only
      await io.write(encodeSyncMessage(msg))
      page = []
      bytes = 0
      // Back-pressure: wait until the asker has stored this page.
      if (!done) decodeSyncNext(await io.read())
    }
    for (const state of states) {
      let after = request.have[state.peerId] ?? 0
      while (after < state.maxSeq) {
        const rows = this.store.entriesAfter(state.peerId, after, MAX_SYNC_PAGE_ENTRIES)
        if (rows.length === 0) break
        for (const row of rows) {
          if (page.length >= MAX_SYNC_PAGE_ENTRIES || bytes + row.jws.length > PAGE_BYTES) await flush(false)
          page.push(row.jws)
          bytes += row.jws.length
          after = row.seq
        }
      }
    }
    await flush(true)
    await closeStream(stream)
  }
}
