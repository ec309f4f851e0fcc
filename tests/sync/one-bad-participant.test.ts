import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { base64url } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EntrySigner,
  MAX_ENTRY_BYTES,
  MAX_FRAME_BYTES,
  MAX_SYNC_FRAME_BYTES,
  MAX_SYNC_PAGE_ENTRIES,
  SYNC_PAGE_BYTES,
  canonicalize,
  datasetMetadataSchema,
  SEARCH_PROTOCOL,
  SYNC_PROTOCOL,
  decodeSearchRequest,
  decodeSyncPage,
  encodeSearchResponse,
  encodeSyncMessage,
  type EntryPayload,
  type SignedEntry
} from '@swf/protocol'
import { keyPath } from '@swf/node/config'
import { loadIdentityKey } from '@swf/node/identity-store'
import { framedStream, type FramedStream } from '@swf/node/p2p/framed-stream'
import { MAX_SYNC_STREAMS_PER_PEER } from '@swf/node/replication/constants'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'
import { waitForFreshPulls } from '../helpers/waits.js'

// One registered participant, Mallory, signs what an honest node never
// would: a log with a permanent gap, entries far too large and too many,
// two different entries for one sequence number, entries from the year
// 9999, and search answers that resurrect deleted datasets. The honest
// nodes must not carry the burden, and must agree.

describe('one bad participant', () => {
  const region = new TestRegion()
  let soest: RegionNode, olpe: RegionNode, arnsberg: RegionNode, mallory: RegionNode
  let signer: EntrySigner
  let head: { seq: number; hash: string | null }

  /** Mallory signs its next entry (or one for a chosen seq and predecessor). */
  const sign = async (datasetId: string, over: Partial<EntryPayload> = {}, dataset: Record<string, unknown> = {}): Promise<SignedEntry> =>
    signer.sign({
      v: 1,
      publisher: signer.peerId,
      datasetId,
      seq: head.seq + 1,
      prevHash: head.hash,
      issuedAt: new Date().toISOString(),
      tombstone: false,
      dataset: sampleDataset({ id: datasetId, title: `Mallory ${datasetId}`, ...dataset }) as never,
      ...over
    })
  const advance = (e: SignedEntry): SignedEntry => {
    head = { seq: e.payload.seq, hash: e.hash }
    return e
  }
  const honest = (): RegionNode[] => [soest, olpe, arnsberg]
  const entryAt = (n: RegionNode, seq: number): string | undefined =>
    (
      n.node.db.$client.prepare('SELECT hash FROM entries WHERE publisher = ? AND seq = ?').get(mallory.node.peerId, seq) as
        { hash: string } | undefined
    )?.hash

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    olpe = await region.addNode('Stadt Olpe', '05966024')
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004', { quota: { maxBytesPerHour: 2 * 1024 * 1024 } })
    mallory = await region.addNode('Gemeinde Mallory', '05999999')
    await waitFor(() => region.nodes.every(n => n.node.network!.host.getPeers().length === 3), 'full mesh')
    signer = await EntrySigner.create(await loadIdentityKey(keyPath(mallory.dataDir)))
    await region.publish(mallory, sampleDataset({ id: 'start', title: 'Start' }))
    head = mallory.node.catalog.head()
    await waitFor(() => honest().every(n => entryAt(n, 1) !== undefined), 'first entry everywhere')
  }, 120_000)
  afterAll(async () => {
    await region.close()
  })

  it('a permanent gap costs nothing after the first pull: only what is missing is asked for, never the held entries again', async () => {
    // seq head+1 is signed but never given to anyone; 300 entries follow it.
    const skipped = advance(await sign('luecke'))
    const after: SignedEntry[] = []
    for (let i = 0; i < 300; i++) after.push(advance(await sign(`nach-${i}`)))
    expect(mallory.node.store.store(after).every(o => o === 'stored')).toBe(true)
    await waitFor(
      () => honest().every(n => n.node.store.usageOf(mallory.node.peerId).entries >= 301),
      'the 300 entries after the gap everywhere'
    )
    for (const n of honest()) expect(entryAt(n, skipped.payload.seq)).toBeUndefined()
    const before = honest().map(n => n.node.network!.replication.acceptor.counters.duplicates)
    // Every honest node completes whole pulls from each of its three peers, all of which hold the 300 entries.
    const peersOf = (n: RegionNode): RegionNode[] => region.nodes.filter(p => p !== n)
    await Promise.all(honest().map(async n => waitForFreshPulls(n, peersOf(n))))
    honest().forEach((n, i) => {
      // Before: every pull re-sent all 300 held entries, here at least 900 duplicates per node (≈ 950 per minute at 30 s).
      expect(n.node.network!.replication.acceptor.counters.duplicates - before[i]!, n.name).toBeLessThan(20)
    })
    // The gap closes as soon as the missing entry appears anywhere.
    expect(mallory.node.store.store([skipped])).toEqual(['stored'])
    await waitFor(() => honest().every(n => n.node.store.versionVector()[mallory.node.peerId] === head.seq), 'gap closed everywhere')
  })

  it("per-publisher quota: entries beyond a node's byte rate are refused there, without striking the honest peers that relay them", async () => {
    const description = 'x'.repeat(20_000)
    const big: SignedEntry[] = []
    for (let i = 0; i < 32; i++) {
      big.push(
        advance(
          await sign(
            `gross-${i}`,
            {},
            {
              description,
              keywords: Array.from({ length: 50 }, (_, k) => `schlagwort-${k}-${'y'.repeat(80)}`),
              distributions: Array.from({ length: 20 }, (_, k) => ({
                id: `d${k}`,
                title: `Teil ${k}`,
                description: 'z'.repeat(4_000),
                format: 'CSV',
                mediaType: 'text/csv',
                license: 'dl-by-de/2.0',
                accessURL: 'https://example.org/x.csv'
              }))
            }
          )
        )
      )
    }
    const bytes = big.reduce((n, e) => n + e.jws.length, 0)
    expect(bytes).toBeGreaterThan(4 * 1024 * 1024)
    const strikes = arnsberg.node.network!.guard.counters.strikes
    const usage0 = arnsberg.node.store.usageOf(mallory.node.peerId).bytes
    expect(mallory.node.store.store(big).every(o => o === 'stored')).toBe(true)
    // Soest and Olpe (default quota) take all of it; Arnsberg (2 MiB per hour) stops at its limit.
    await waitFor(
      () => [soest, olpe].every(n => n.node.store.versionVector()[mallory.node.peerId] === head.seq),
      'Soest and Olpe hold everything'
    )
    await waitFor(() => arnsberg.node.network!.replication.acceptor.counters.overQuota > 0, 'Arnsberg refused entries over its quota')
    // Then Soest and Olpe have offered Arnsberg all of it: whole pulls from both, begun after they held everything.
    await waitForFreshPulls(arnsberg, [soest, olpe])
    const added = arnsberg.node.store.usageOf(mallory.node.peerId).bytes - usage0
    expect(added).toBeLessThanOrEqual(2 * 1024 * 1024)
    tally('entries refused over a publisher quota', arnsberg.node.network!.replication.acceptor.counters.overQuota)
    expect(arnsberg.node.store.versionVector()[mallory.node.peerId]).toBeLessThan(head.seq)
    // Soest and Olpe relayed Mallory's entries honestly: no strike, no ban.
    expect(arnsberg.node.network!.guard.counters.strikes).toBe(strikes)
    for (const n of [soest, olpe]) expect(arnsberg.node.network!.guard.isBanned(n.node.peerId)).toBe(false)
    expect(arnsberg.node.network!.host.getPeers().map(String)).toEqual(expect.arrayContaining([soest.node.peerId, olpe.node.peerId]))
  })

  it('an entry signed in the year 9999 is refused (not a forgery: no strike); one a minute ahead is fine', async () => {
    const seq = Math.max(...honest().map(n => n.node.store.versionVector()[mallory.node.peerId] ?? 0)) + 1000
    const future = await sign('zukunft', { seq, prevHash: 'a'.repeat(64), issuedAt: '9999-12-31T00:00:00.000Z' })
    // Every listener hears the typed reason and where the entry came from.
    const heard: unknown[] = []
    const listener = (rejections: unknown, source: string): void => {
      heard.push([rejections, source])
    }
    const { events } = soest.node.network!.replication.acceptor
    events.on('entry:rejected', listener)
    events.on('entry:rejected', listener)
    const r = await soest.node.network!.replication.acceptor.accept([future.jws], 'test')
    events.off('entry:rejected', listener)
    events.off('entry:rejected', listener)
    expect(r.rejected).toEqual([{ reason: 'from-the-future' }])
    expect(heard).toEqual([
      [[{ reason: 'from-the-future' }], 'test'],
      [[{ reason: 'from-the-future' }], 'test']
    ])
    expect(entryAt(soest, seq)).toBeUndefined()
    const soon = await sign('bald', { seq: seq + 1, prevHash: 'b'.repeat(64), issuedAt: new Date(Date.now() + 60_000).toISOString() })
    expect((await soest.node.network!.replication.acceptor.accept([soon.jws], 'test')).stored).toHaveLength(1)
  })

  it('equivocation: two entries for one seq, given to different nodes — detected, the proof spreads to every node, all keep the lower hash', async () => {
    // Past the quota test Arnsberg lags; compare Soest and Olpe, which hold everything, and Arnsberg for the proof.
    const seq = 5_000
    const a = await sign('zwei', { seq, prevHash: 'c'.repeat(64) }, { title: 'Version A' })
    const b = await sign('zwei', { seq, prevHash: 'c'.repeat(64) }, { title: 'Version B' })
    expect(a.hash).not.toBe(b.hash)
    const [low, high] = a.hash < b.hash ? [a, b] : [b, a]
    // Each node is told a different story: Soest the higher hash, Olpe the lower.
    expect((await soest.node.network!.replication.acceptor.accept([high.jws], 'test')).stored).toHaveLength(1)
    expect((await olpe.node.network!.replication.acceptor.accept([low.jws], 'test')).stored).toHaveLength(1)
    // Anti-entropy carries the proof (and gossip the winner) until every node agrees.
    await waitFor(() => [soest, olpe].every(n => entryAt(n, seq) === low.hash), 'Soest and Olpe keep the lower hash', 30_000)
    await waitFor(
      () => honest().every(n => n.node.store.equivocatingPublishers().some(e => e.publisher === mallory.node.peerId)),
      'proof on every honest node',
      30_000
    )
    for (const n of honest()) {
      const proof = n.node.store.equivocations().find(p => p.publisher === mallory.node.peerId && p.seq === seq && p.kind === 'same-seq')
      expect(proof, n.name).toBeDefined()
      expect(new Set([proof!.jwsA, proof!.jwsB])).toEqual(new Set([a.jws, b.jws]))
      expect(proof!.jwsA).toBe(low.jws) // the kept one first
    }
    tally('nodes holding a spread proof of equivocation', honest().length)
    // The dataset reads as the kept version on Soest, which first held the other.
    const row = soest.node.db.$client
      .prepare('SELECT title FROM datasets WHERE publisher = ? AND dataset_id = ?')
      .get(mallory.node.peerId, 'zwei') as { title: string }
    expect(row.title).toBe(low === a ? 'Version A' : 'Version B')
    // Flagged for the operator: status, metrics and the region page.
    const status = await soest.api('/api/v1/status')
    expect(status.equivocations).toContainEqual({ publisher: mallory.node.peerId, kommune: 'Gemeinde Mallory', proofs: expect.any(Number) })
    const metrics = await (await fetch(`${olpe.node.url}/metrics`)).text()
    expect(metrics).toMatch(new RegExp(`swf_equivocation_proofs\\{publisher="${mallory.node.peerId}",kommune="Gemeinde Mallory"\\} [1-9]`))
    const html = await (await fetch(`${arnsberg.node.url}/region`)).text()
    expect(html).toContain('Gemeinde Mallory hat widersprüchliche Einträge signiert')
  })

  it('federated search: an old signed entry never resurrects a deleted dataset, and a claimed score of 1e300 does not rank first', async () => {
    await region.publish(soest, sampleDataset({ id: 'haushalt-alt', title: 'Haushaltsplan Soest alt' }))
    const old = soest.node.catalog.getOwnEntry('haushalt-alt')
    await soest.api('/api/v1/datasets/haushalt-alt', { method: 'DELETE' })
    await region.publish(olpe, sampleDataset({ id: 'haushalt', title: 'Haushaltsplan Olpe', description: 'Haushaltsplan der Stadt Olpe.' }))
    await waitFor(
      () =>
        region.datasetIds(arnsberg, olpe.node.peerId).includes('haushalt') &&
        !region.datasetIds(arnsberg, soest.node.peerId).includes('haushalt-alt') &&
        region.datasetIds(soest, olpe.node.peerId).includes('haushalt'),
      "deletion and Olpe's dataset everywhere"
    )
    // Mallory answers every search with Soest's deleted dataset and a bait of its own, scored 1e300.
    const bait = (
      mallory.node.db.$client
        .prepare('SELECT jws FROM entries WHERE publisher = ? AND dataset_id = ?')
        .get(mallory.node.peerId, 'start') as { jws: string }
    ).jws
    await answerSearchesWith(mallory, [
      { jws: bait, score: 1e300 },
      { jws: old.jws, score: 1e300 }
    ])
    const res = await fetch(`${arnsberg.node.url}/api/v1/search?q=Haushaltsplan&scope=federated`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(body.nodes.find((n: any) => n.peerId === mallory.node.peerId).status).toBe('answered')
    const ids = body.items.map((i: any) => `${i.provenance.publisher}/${i.dataset.id}`)
    expect(ids).not.toContain(`${soest.node.peerId}/haushalt-alt`)
    expect(ids[0]).toBe(`${olpe.node.peerId}/haushalt`)
    for (const item of body.items) expect(item.score).toBeLessThanOrEqual(1)
  })

  it('federated search: hits the asker does not hold are verified together, and a forged one among them is dropped', async () => {
    // A valid entry Mallory signed and never published, and a copy with its payload changed.
    const fresh = await signer.sign({
      v: 1,
      publisher: signer.peerId,
      datasetId: 'haushalt-mallory',
      seq: 100_000,
      prevHash: 'a'.repeat(64),
      issuedAt: new Date().toISOString(),
      tombstone: false,
      dataset: datasetMetadataSchema.parse(sampleDataset({ id: 'haushalt-mallory', title: 'Haushaltsplan Mallory' }))
    })
    const [h, , sig] = fresh.jws.split('.') as [string, string, string]
    const changed = {
      ...fresh.payload,
      datasetId: 'haushalt-gefaelscht',
      dataset: { ...fresh.payload.dataset!, id: 'haushalt-gefaelscht' }
    }
    const forged = `${h}.${base64url.encode(canonicalize(changed))}.${sig}`
    await answerSearchesWith(mallory, [
      { jws: forged, score: 2 },
      { jws: fresh.jws, score: 1 }
    ])
    const body = (await (await fetch(`${arnsberg.node.url}/api/v1/search?q=Haushaltsplan&scope=federated`)).json()) as any
    const ids = body.items.map((i: any) => `${i.provenance.publisher}/${i.dataset.id}`)
    expect(ids).toContain(`${mallory.node.peerId}/haushalt-mallory`)
    expect(ids).not.toContain(`${mallory.node.peerId}/haushalt-gefaelscht`)
    expect(body.nodes.find((n: any) => n.peerId === mallory.node.peerId)).toMatchObject({ status: 'answered', hits: 1 })
  })

  it('sync streams a peer opens and never reads on: at most two are served per peer, each one bounded page, and honest peers keep syncing', async () => {
    // The earlier tests left Soest several pages of Mallory's entries: a whole answer would not fit in one page.
    const held = soest.node.db.$client.prepare('SELECT SUM(LENGTH(jws)) FROM entries WHERE publisher = ?').pluck().get(mallory.node.peerId)
    expect(held).toBeGreaterThan(3 * SYNC_PAGE_BYTES)
    // Mallory asks Soest for everything on 40 streams and never asks for a second page.
    const opened: Array<{ stream: Stream; io: FramedStream }> = []
    let refusedAtOpen = 0
    for (let i = 0; i < 40; i++) {
      try {
        const stream = await mallory.node.network!.host.dialProtocol(peerIdFromString(soest.node.peerId), SYNC_PROTOCOL, {
          signal: AbortSignal.timeout(5_000)
        })
        const io = framedStream(stream, MAX_SYNC_FRAME_BYTES, 5_000)
        await io.write(encodeSyncMessage({ type: 'sync-request', have: {} }))
        opened.push({ stream, io })
      } catch {
        refusedAtOpen++
      }
    }
    // Every stream ends one of two ways, each an event: Soest serves its first page, or Soest closes it unserved.
    const outcomes = await Promise.all(
      opened.map(async ({ stream, io }) => {
        try {
          return { stream, page: decodeSyncPage(await io.read(20_000)) }
        } catch (err) {
          return { stream, closed: stream.status !== 'open', err: (err as Error).message }
        }
      })
    )
    const served = outcomes.filter(o => o.page !== undefined)
    expect(
      outcomes.filter(o => o.page === undefined && !o.closed),
      'streams neither served nor closed'
    ).toEqual([])
    // At most the per-peer limit served at once (Mallory's own anti-entropy pull may hold one of them)…
    expect(served.length).toBeGreaterThanOrEqual(1)
    expect(served.length).toBeLessThanOrEqual(MAX_SYNC_STREAMS_PER_PEER)
    tally('sync streams refused beyond the per-peer limit', refusedAtOpen + outcomes.length - served.length)
    // …each with one bounded page and more to come: Soest holds at most this per stream until the peer reads on.
    for (const { page } of served) {
      expect(page.done).toBe(false)
      expect(page.remaining).toBeGreaterThan(page.entries.length)
      expect(page.entries.length).toBeLessThanOrEqual(MAX_SYNC_PAGE_ENTRIES)
      expect(page.entries.reduce((n, jws) => n + jws.length, 0)).toBeLessThanOrEqual(SYNC_PAGE_BYTES + MAX_ENTRY_BYTES)
    }

    // While Mallory holds its slots, Soest serves new sync streams of the honest nodes to their last page
    // (a refused pull throws), and gossip carries an entry published now to every node.
    await region.publish(olpe, sampleDataset({ id: 'waehrend-des-angriffs', title: 'Während des Angriffs' }))
    for (const n of [olpe, arnsberg]) await n.node.network!.replication.sync.pull(soest.node.peerId)
    await waitFor(
      () => region.nodes.every(n => region.datasetIds(n, olpe.node.peerId).includes('waehrend-des-angriffs')),
      'the entry published during the attack on every node'
    )
    const stillHeld = served.filter(({ stream }) => stream.status === 'open' && stream.remoteWriteStatus === 'writable')
    expect(stillHeld, 'Mallory still held its streams while the honest pulls were served').toHaveLength(served.length)

    // One page loaded by bytes: the store never hands over more than ~1 MiB (plus one entry) at once.
    const page = soest.node.store.entriesAfterBounded(mallory.node.peerId, 0, Number.MAX_SAFE_INTEGER, 512, 1024 * 1024)
    expect(page.reduce((n, r) => n + r.jws.length, 0)).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024)
    expect(page.length).toBeLessThan(512)
    for (const { stream } of outcomes) stream.abort(new Error('done'))
    // The slots come back: Mallory (a participant) can pull from Soest again.
    await waitFor(async () => mallory.node.network!.replication.sync.pull(soest.node.peerId), 'a pull by Mallory served again')
  })
})

/** Mallory answers every search with these hits, whatever was asked. */
async function answerSearchesWith(mallory: RegionNode, hits: Array<{ jws: string; score: number }>): Promise<void> {
  const host = mallory.node.network!.host
  await host.unhandle(SEARCH_PROTOCOL)
  await host.handle(SEARCH_PROTOCOL, async stream => {
    const io = framedStream(stream, MAX_FRAME_BYTES, 5_000)
    try {
      decodeSearchRequest(await io.read())
      await io.write(encodeSearchResponse({ type: 'search-result', total: hits.length, hits }))
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  })
}
