import type { PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Logger } from 'pino'
import {
  decodeSyncNext,
  decodeSyncPage,
  decodeSyncRequest,
  encodeSyncMessage,
  MAX_HELD_PUBLISHERS,
  MAX_HELD_RANGES,
  MAX_SYNC_FRAME_BYTES,
  MAX_SYNC_PAGE_ENTRIES,
  MAX_SYNC_PROOFS,
  SYNC_PAGE_BYTES,
  SYNC_PROTOCOL,
  type HeldRanges,
  type SyncPage
} from '@swf/protocol'
import { isProvableForgery, type EntryAcceptor } from './entry-acceptor.js'
import type { EntryStore } from '../services/entry-store.js'
import type { PublisherRow } from '../db/schema.js'
import { closeStream } from '../p2p/close-stream.js'
import { framedStream } from '../p2p/framed-stream.js'
import type { Host } from '../p2p/host.js'
import type { PeerGuard } from '../p2p/peer-guard.js'
import type { PeerTracker } from '../p2p/peer-tracker.js'
import { P2pError, P2pErrorCode } from '../p2p/errors.js'
import { handleGuarded } from '../p2p/guarded-handler.js'
import { MAX_WALK_WINDOW, SYNC, SYNC_PAGE_TIMEOUT_MS, SYNC_PROOF_BYTES, SYNC_REQUEST_TIMEOUT_MS, WALK_BACK_SEQS } from './constants.js'

/** A walk back through a publisher's parted logs: the next pull asks for seqs (from, to]. */
interface Walk {
  from: number
  to: number
  width: number
}

export interface PullResult {
  received: number
  stored: number
  rejected: number
  /** Two logs of a publisher part further back than this pull compared: pull again to walk back. */
  walkOn: boolean
}

export interface CatalogSyncComponents {
  host: Host
  store: EntryStore
  acceptor: EntryAcceptor
  tracker: PeerTracker
  /** Who may pull from this node (active, not banned), and whose entries it relays (current or retired keys). */
  members: { isAllowed: (peerId: string) => boolean; isPublisher: (peerId: string) => boolean }
  guard: PeerGuard
  log: Logger
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
  /**
   * Publishers whose logs part (a second entry for a held seq was seen) and
   * the window of seqs the next pull asks for again. Under the lower-hash
   * rule two nodes' logs agree at some seqs and part at others, so no seq
   * marks where they stop parting: the walk goes down to seq 1, each pull
   * asking only its window (held ranges above it) and each window twice the
   * last. Every node then sees both entries of every parted seq, at a cost of
   * the publisher's log once and log2(seqs / WALK_BACK_SEQS) pulls.
   */
  readonly #walk = new Map<string, Walk>()
  readonly #c: CatalogSyncComponents

  constructor(components: CatalogSyncComponents) {
    this.#c = components
  }

  /** Two entries of a publisher for one seq were seen (by any way in): the next pull walks back from there. */
  noteConflicts(seqs: Array<[publisher: string, seq: number]>): void {
    // The first window reaches up to the tip: the logs may part anywhere above the conflict too.
    for (const [publisher, seq] of seqs) {
      if (!this.#walk.has(publisher) && seq > 1)
        this.#walk.set(publisher, { from: Math.max(0, seq - 1 - WALK_BACK_SEQS), to: Infinity, width: WALK_BACK_SEQS })
    }
    if (this.#walk.size > MAX_HELD_PUBLISHERS) this.#walk.delete(this.#walk.keys().next().value!)
  }

  async start(): Promise<void> {
    await handleGuarded(this.#c.host, SYNC, { guard: this.#c.guard, log: this.#c.log, name: 'sync' }, async (stream, _peer, connection) => {
      await this.#serve(stream, connection.remotePeer)
    })
  }

  async stop(): Promise<void> {
    await this.#c.host.unhandle(SYNC_PROTOCOL)
  }

  /** Pulls everything `peer` holds that this node lacks. */
  async pull(peer: string | PeerId): Promise<PullResult> {
    const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
    const from = peerId.toString()
    const result: PullResult = { received: 0, stored: 0, rejected: 0, walkOn: false }
    const progress: PullProgress = { peerId: from, expected: null, received: 0 }
    const stream = await this.#c.host.dialProtocol(peerId, SYNC_PROTOCOL, { signal: AbortSignal.timeout(SYNC_REQUEST_TIMEOUT_MS) })
    this.#progress.set(from, progress)
    const walking = new Map(this.#walk)
    const conflicts = new Map<string, number>()
    const seen = (seqs: Array<[string, number]>): void => {
      for (const [p, seq] of seqs) conflicts.set(p, Math.min(conflicts.get(p) ?? Infinity, seq))
    }
    try {
      const io = framedStream(stream, MAX_SYNC_FRAME_BYTES, SYNC_PAGE_TIMEOUT_MS)
      const states = this.#c.store.publisherStates()
      const have = this.#c.store.versionVector(states)
      // Walking back: claim less than is held, and hold what lies above the window, so the peer sends the window.
      const held = this.#heldAboveWatermarks(
        states.filter(s => !walking.has(s.peerId)),
        MAX_HELD_PUBLISHERS - walking.size
      )
      for (const s of states) {
        const w = walking.get(s.peerId)
        if (w === undefined || have[s.peerId] === undefined) continue
        have[s.peerId] = Math.min(have[s.peerId]!, w.from)
        if (w.to < s.maxSeq) held[s.peerId] = [[w.to + 1, s.maxSeq]]
      }
      await io.write(
        encodeSyncMessage({ type: 'sync-request', have, ...(Object.keys(held).length === 0 ? {} : { held }), tips: this.#tips(states) })
      )
      for (;;) {
        const page = decodeSyncPage(await io.read())
        if (page.remaining !== undefined) progress.expected = page.remaining
        if (page.proofs !== undefined && page.proofs.length > 0)
          seen((await this.#c.acceptor.acceptProofs(page.proofs, `sync:${from}`)).conflictSeqs)
        // Ask for the next page before checking this one, so the responder reads
        // and sends while this node verifies: at most one page waits unread.
        if (!page.done) await io.write(encodeSyncMessage({ type: 'sync-next' }))
        const r = await this.#c.acceptor.accept(page.entries, `sync:${from}`)
        seen(r.conflictSeqs)
        result.received += page.entries.length
        progress.received = result.received
        result.stored += r.stored.length
        result.rejected += r.rejected.length
        this.#c.tracker.received(from, r.stored.length, r.rejected.length)
        const forged = r.rejected.filter(x => isProvableForgery(x.reason)).length
        if (forged > 0) this.#c.guard.strike(from, 'forged entries in a sync page', forged)
        if (this.#c.guard.isBanned(from)) throw new P2pError(P2pErrorCode.PEER_BANNED, 'peer banned while syncing')
        if (page.done) break
      }
      await closeStream(stream)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      this.#progress.delete(from)
    }
    result.walkOn = this.#walkOn(walking, conflicts)
    this.#c.tracker.synced(from)
    return result
  }

  /**
   * After a pull: a walk that has not reached seq 1 asks the window below
   * next, twice as wide (at most MAX_WALK_WINDOW); one that has, ends. A
   * conflict first seen in this pull starts a walk.
   */
  #walkOn(walked: Map<string, Walk>, conflicts: Map<string, number>): boolean {
    for (const [p, w] of walked) {
      if (w.from === 0) {
        this.#walk.delete(p)
        continue
      }
      const width = Math.min(2 * w.width, MAX_WALK_WINDOW)
      this.#walk.set(p, { from: Math.max(0, w.from - width), to: w.from, width })
    }
    this.noteConflicts([...conflicts].filter(([p]) => !walked.has(p)))
    return this.#walk.size > 0
  }

  /** Pulls under way now. */
  progress(): PullProgress[] {
    return [...this.#progress.values()].map(p => ({ ...p }))
  }

  /** Per publisher with a gap: the ranges held above the watermark, so a pull asks only for what is missing. */
  #heldAboveWatermarks(states: PublisherRow[], maxPublishers: number): HeldRanges {
    const held: HeldRanges = {}
    const gapped = states.filter(s => s.maxSeq > s.contiguousSeq).slice(0, maxPublishers)
    for (const s of gapped) held[s.peerId] = this.#c.store.heldRanges(s.peerId, s.contiguousSeq, MAX_HELD_RANGES)
    return held
  }

  /** Per publisher: the highest entry held, so a responder with another entry at that seq can say so. */
  #tips(states: PublisherRow[]): Record<string, [number, string]> {
    const tips: Record<string, [number, string]> = {}
    for (const s of states) {
      const tip = s.maxSeq > 0 ? this.#c.store.entryAt(s.peerId, s.maxSeq) : undefined
      if (tip !== undefined) tips[s.peerId] = [s.maxSeq, tip.hash]
    }
    return tips
  }

  /** Proofs of equivocation against publishers that still belong, up to SYNC_PROOF_BYTES. */
  #proofsToShare(): Array<[string, string]> {
    const out: Array<[string, string]> = []
    let bytes = 0
    for (const p of this.#c.store.equivocations(MAX_SYNC_PROOFS)) {
      if (!this.#c.members.isPublisher(p.publisher)) continue
      bytes += p.jwsA.length + p.jwsB.length
      if (bytes > SYNC_PROOF_BYTES) break
      out.push([p.jwsA, p.jwsB])
    }
    return out
  }

  async #serve(stream: Stream, remote: PeerId): Promise<void> {
    if (!this.#c.members.isAllowed(remote.toString()))
      throw new P2pError(P2pErrorCode.NOT_A_PARTICIPANT, 'peer is not an active participant')
    const io = framedStream(stream, MAX_SYNC_FRAME_BYTES, SYNC_PAGE_TIMEOUT_MS)
    const request = decodeSyncRequest(await io.read(SYNC_REQUEST_TIMEOUT_MS))
    let page: string[] = []
    let bytes = 0
    // Relay only publishers that still belong (current or retired keys; never revoked ones).
    const states = this.#c.store
      .publisherStates()
      .filter(s => this.#c.members.isPublisher(s.peerId) || s.peerId === this.#c.host.peerId.toString())
    const heldOf = (p: string): Array<[number, number]> => [...(request.held?.[p] ?? [])].sort((a, b) => a[0] - b[0])
    let remaining: number | undefined = states.reduce((n, s) => {
      const have = request.have[s.peerId] ?? 0
      const skipped = heldOf(s.peerId).reduce((k, [a, b]) => k + Math.max(0, Math.min(b, s.maxSeq) - Math.max(a, have + 1) + 1), 0)
      return n + Math.max(0, s.maxSeq - have - skipped)
    }, 0)
    let proofs: Array<[string, string]> | undefined = this.#proofsToShare()
    const flush = async (done: boolean): Promise<void> => {
      const msg: SyncPage = {
        type: 'sync-page',
        entries: page,
        done,
        ...(remaining === undefined ? {} : { remaining }),
        ...(proofs === undefined || proofs.length === 0 ? {} : { proofs })
      }
      remaining = undefined // announced on the first page only
      proofs = undefined
      await io.write(encodeSyncMessage(msg))
      page = []
      bytes = 0
      // Back-pressure: wait until the asker has stored this page.
      if (!done) decodeSyncNext(await io.read())
    }
    // Another entry than the asker's at its tip: the publisher signed two; send ours so the asker sees it.
    for (const state of states) {
      const tip = request.tips?.[state.peerId]
      const ours = tip === undefined ? undefined : this.#c.store.entryAt(state.peerId, tip[0])
      if (ours === undefined || ours.hash === tip![1]) continue
      if (page.length >= MAX_SYNC_PAGE_ENTRIES || (page.length > 0 && bytes + ours.jws.length > SYNC_PAGE_BYTES)) await flush(false)
      page.push(ours.jws)
      bytes += ours.jws.length
    }
    for (const state of states) {
      let after = request.have[state.peerId] ?? 0
      const held = heldOf(state.peerId)
      while (after < state.maxSeq) {
        // Skip what the asker holds already; read only up to the next range it holds.
        const inside = held.find(([a, b]) => a <= after + 1 && after + 1 <= b)
        if (inside !== undefined) {
          after = inside[1]
          continue
        }
        const upTo = Math.min(state.maxSeq, (held.find(([a]) => a > after)?.[0] ?? Infinity) - 1)
        // Loaded by bytes, not by count: at most one page of JWS in memory per stream.
        const rows = this.#c.store.entriesAfterBounded(state.peerId, after, upTo, MAX_SYNC_PAGE_ENTRIES, SYNC_PAGE_BYTES)
        if (rows.length === 0) {
          after = upTo
          continue
        }
        for (const row of rows) {
          if (page.length >= MAX_SYNC_PAGE_ENTRIES || (page.length > 0 && bytes + row.jws.length > SYNC_PAGE_BYTES)) await flush(false)
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
