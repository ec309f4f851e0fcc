import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EntrySigner, type DatasetMetadata, type SignedEntry } from '@swf/protocol'
import { loadIdentityKey } from '@swf/node/identity-store'
import { DISK_COST_PER_JWS_BYTE } from '@swf/node/services/entry-store'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

// Quota and clock on every way in (issue 25, items 3-6), as an outside
// attacker who is a registered participant tried them: proofs of
// equivocation dated 9999, entries backdated out of the hourly window, two
// logs diverging over many seqs while the quota refuses one of them, and big
// entries that cost a node more disk than their signed bytes.

const HOUR_QUOTA = 3 * 1024 * 1024

/** About `chars` of distinct random words: what makes the full-text index largest. */
const words = (chars: number): string => {
  const out: string[] = []
  for (let n = 0; n < chars; n += 9)
    out.push(
      randomBytes(6)
        .toString('base64url')
        .replace(/[^a-z]/gi, 'x')
    )
  return out.join(' ').slice(0, chars)
}

describe('quota and clock on every way in (2 nodes and registered attackers)', () => {
  const region = new TestRegion()
  let soest: RegionNode, arnsberg: RegionNode
  /** The attacker's key in use: each attack signs as another registered participant, so each meets a fresh quota. */
  let signer: EntrySigner
  let malloryId: string
  const attackers = new Map<string, { signer: EntrySigner; peerId: string }>()
  const as = (name: string): void => {
    const a = attackers.get(name)!
    signer = a.signer
    malloryId = a.peerId
  }

  const sign = async (
    seq: number,
    prevHash: string | null,
    id: string,
    over: { issuedAt?: string; dataset?: Partial<DatasetMetadata> } = {}
  ): Promise<SignedEntry> =>
    signer.sign({
      v: 1,
      publisher: malloryId,
      seq,
      prevHash,
      issuedAt: over.issuedAt ?? new Date().toISOString(),
      datasetId: id,
      tombstone: false,
      dataset: { ...sampleDataset({ id, title: `Mallory ${id}` }), distributions: [], ...over.dataset } as DatasetMetadata
    })
  /** A chain of `n` entries after `from`, each with about `bytes` of description. */
  const chain = async (
    from: { seq: number; hash: string | null },
    n: number,
    prefix: string,
    bytes = 0,
    issuedAt?: string
  ): Promise<SignedEntry[]> => {
    const out: SignedEntry[] = []
    let prev = from
    for (let i = 1; i <= n; i++) {
      const e = await sign(prev.seq + 1, prev.hash, `${prefix}-${prev.seq + 1}`, {
        ...(issuedAt === undefined ? {} : { issuedAt }),
        ...(bytes === 0 ? {} : { dataset: { description: words(Math.min(20_000, bytes)), keywords: [`k${i}`] } })
      })
      out.push(e)
      prev = { seq: e.payload.seq, hash: e.hash }
    }
    return out
  }
  const acceptor = (n: RegionNode) => n.node.network!.replication.acceptor
  const issuedAtOf = (n: RegionNode, prefix: string): string[] =>
    (
      n.node.db.$client
        .prepare('SELECT issued_at FROM entries WHERE publisher = ? AND issued_at LIKE ? ')
        .all(malloryId, `${prefix}%`) as Array<{
        issued_at: string
      }>
    ).map(r => r.issued_at)

  beforeAll(async () => {
    await region.startRegistry()
    const quota = { quota: { maxBytesPerHour: HOUR_QUOTA } }
    soest = await region.addNode('Stadt Soest', '05974040', quota)
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004', quota)
    // Registered participants whose keys sign by hand; their nodes are gone (they "leave").
    for (const [name, ags] of [
      ['Stadt Olpe', '05966024'],
      ['Stadt Menden (Sauerland)', '05962040'],
      ['Stadt Bad Berleburg', '05970004']
    ] as const) {
      const n = await region.addNode(name, ags)
      await n.stop()
      attackers.set(name, {
        signer: await EntrySigner.create(await loadIdentityKey(join(n.dataDir, 'node-key.json'))),
        peerId: n.node.peerId
      })
    }
    as('Stadt Olpe')
    await waitFor(() => soest.node.network!.isConnected(arnsberg.node.peerId), 'Soest and Arnsberg connected')
  })
  afterAll(async () => {
    await region.close()
  })

  it('a proof of equivocation dated 9999 is checked like any entry: the future entry is refused, nothing of it is stored or listed', async () => {
    const [first] = await chain({ seq: 0, hash: null }, 1, 'front')
    const future = await sign(1, null, 'front-9999', { issuedAt: '9999-01-01T00:00:00.000Z' })
    const refusedBefore = acceptor(soest).counters.fromTheFuture
    const r = await acceptor(soest).acceptProofs([[first!.jws, future.jws]], 'sync:mallory')
    expect(r.stored).toHaveLength(0)
    expect(acceptor(soest).counters.fromTheFuture).toBeGreaterThan(refusedBefore)
    expect(issuedAtOf(soest, '9999')).toEqual([])
    // Not first on the front page nor in newest-first search: not there at all.
    const listed = (await (await fetch(`${soest.node.url}/api/v1/catalog?limit=5`)).json()) as { items: Array<{ dataset: { id: string } }> }
    expect(listed.items.map(i => i.dataset.id)).not.toContain('front-9999')

    // A proof of two entries in time is kept, and the lower hash stands (positive control).
    const [a, b] = [await sign(1, null, 'front-a'), await sign(1, null, 'front-b')]
    const kept = await acceptor(soest).acceptProofs([[a.jws, b.jws]], 'sync:mallory')
    expect(kept.conflictSeqs).toContainEqual([malloryId, 1])
    expect(soest.node.store.hashAt(malloryId, 1)).toBe([a.hash, b.hash].sort()[0])
    expect(soest.node.store.equivocations().filter(p => p.publisher === malloryId && p.seq === 1)).toHaveLength(1)
    const held = soest.node.store.hashAt(malloryId, 1)
    await waitFor(() => arnsberg.node.store.hashAt(malloryId, 1) === held, 'Arnsberg holds the same seq 1')
  })

  it('entries backdated out of the hourly window still count in it: the quota holds what the node received in the last hour', async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString()
    // About 40 KiB of JWS each, 180 of them: 7 MB signed, twice the hourly quota by cost.
    const backdated = await chain(soest.node.store.headOf(malloryId), 180, 'old', 30_000, twoHoursAgo)
    const signedBytes = backdated.reduce((n, e) => n + e.jws.length, 0)
    for (let i = 0; i < backdated.length; i += 20)
      await acceptor(soest).accept(
        backdated.slice(i, i + 20).map(e => e.jws),
        'sync:mallory'
      )
    const stored = soest.node.db.$client
      .prepare('SELECT count(*) AS n, coalesce(sum(length(jws)), 0) AS bytes FROM entries WHERE publisher = ? AND dataset_id LIKE ?')
      .get(malloryId, 'old-%') as { n: number; bytes: number }
    tally('backdated entry bytes offered over the hourly quota', signedBytes)
    expect(signedBytes * DISK_COST_PER_JWS_BYTE).toBeGreaterThan(2 * HOUR_QUOTA)
    expect(stored.n).toBeGreaterThan(0)
    expect(stored.n).toBeLessThan(backdated.length)
    expect(stored.bytes * DISK_COST_PER_JWS_BYTE).toBeLessThanOrEqual(HOUR_QUOTA)
    expect(acceptor(soest).counters.overQuota).toBeGreaterThan(0)
  })

  it('two logs diverging over 150 seqs converge after the attacker leaves, with proofs, though the quota refuses the second log', async () => {
    as('Stadt Menden (Sauerland)')
    const base = { seq: 0, hash: null }
    // Each log about 0.6 of the hourly quota by cost: one fits, both do not.
    const perEntry = Math.floor((0.6 * HOUR_QUOTA) / 150 / DISK_COST_PER_JWS_BYTE)
    const [one, two] = [await chain(base, 150, 'eins', perEntry), await chain(base, 150, 'zwei', perEntry)]
    for (let i = 0; i < 150; i += 50) {
      await acceptor(soest).accept(
        one.slice(i, i + 50).map(e => e.jws),
        'gossip:mallory'
      )
      await acceptor(arnsberg).accept(
        two.slice(i, i + 50).map(e => e.jws),
        'gossip:mallory'
      )
    }
    const lower = one.map((e, i) => (e.hash < two[i]!.hash ? e.hash : two[i]!.hash))
    for (const n of [soest, arnsberg]) {
      await waitFor(
        () => lower.every((h, i) => n.node.store.hashAt(malloryId, 1 + i) === h),
        `${n.name} keeps the lower hash at each of the 150 seqs`,
        60_000
      )
      expect(n.node.store.equivocations().filter(p => p.publisher === malloryId).length).toBeGreaterThan(1)
    }
    expect(region.contentHash(soest)).toEqual(region.contentHash(arnsberg))
    expect(region.datasetIds(soest, malloryId)).toEqual(region.datasetIds(arnsberg, malloryId))
    tally('diverged seqs converged after the attacker left', 150)
  })

  it("a publisher's quota counts what its entries cost on disk, not their signed bytes", async () => {
    const sqlite = soest.node.db.$client
    const size = (): number => {
      sqlite.pragma('wal_checkpoint(TRUNCATE)')
      // Pages in use: earlier tests' deletions leave free pages that new rows fill without growing the file.
      const used = (sqlite.pragma('page_count', { simple: true }) as number) - (sqlite.pragma('freelist_count', { simple: true }) as number)
      return used * (sqlite.pragma('page_size', { simple: true }) as number)
    }
    as('Stadt Bad Berleburg')
    const before = { disk: size(), charged: soest.node.store.usageOf(malloryId).bytes }
    const from = soest.node.store.headOf(malloryId)
    // Big entries (about 27 KiB of JWS each, words the full-text index keeps), sent within the hourly quota.
    const big = await chain(from, 12, 'gross', 40_000)
    const r = await acceptor(soest).accept(
      big.map(e => e.jws),
      'sync:mallory'
    )
    expect(r.stored).toHaveLength(12)
    const grown = size() - before.disk
    const charged = soest.node.store.usageOf(malloryId).bytes - before.charged
    const signed = big.reduce((n, e) => n + e.jws.length, 0)
    tally('disk bytes per signed entry byte (big entries)', Math.round((100 * grown) / signed) / 100)
    expect(grown).toBeGreaterThan(signed)
    expect(grown).toBeLessThanOrEqual(charged)
  })
})
