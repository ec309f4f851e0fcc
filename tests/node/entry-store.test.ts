import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datasetMetadataSchema, EntrySigner, generateIdentityKey, type SignedEntry } from '@swf/protocol'
import { openDatabase, type NodeDb } from '@swf/node/db/open'
import { EntryStore } from '@swf/node/services/entry-store'
import { sampleDataset } from '../helpers/fixtures.js'
import { tempDir } from '../helpers/node.js'

const dir = tempDir('swf-store-')
let db: NodeDb
let store: EntryStore
let chain: SignedEntry[]

beforeAll(async () => {
  db = openDatabase(join(dir, 'node.sqlite'))
  store = new EntryStore(db)
  const signer = await EntrySigner.create(await generateIdentityKey())
  chain = []
  for (let seq = 1; seq <= 5; seq++) {
    chain.push(
      await signer.sign({
        v: 1,
        publisher: signer.peerId,
        datasetId: 'd',
        seq,
        prevHash: chain[seq - 2]?.hash ?? null,
        issuedAt: new Date(Date.UTC(2026, 0, seq)).toISOString(),
        tombstone: seq === 5,
        ...(seq === 5 ? {} : { dataset: datasetMetadataSchema.parse(sampleDataset({ id: 'd', title: `Version ${seq}` })) })
      })
    )
  }
})
afterAll(() => {
  db.$client.close()
  rmSync(dir, { recursive: true, force: true })
})

const state = (): { seq: number; tombstone: number; title: string | null } =>
  db.$client.prepare('SELECT seq, tombstone, title FROM datasets').get() as never

describe('entry store', () => {
  it('keeps the newest state and a contiguous watermark when entries arrive out of order', () => {
    expect(store.store([chain[2]!])).toEqual(['stored'])
    expect(state()).toEqual({ seq: 3, tombstone: 0, title: 'Version 3' })
    expect(store.versionVector()).toEqual({ [chain[0]!.payload.publisher]: 0 })

    expect(store.store([chain[0]!, chain[1]!])).toEqual(['stored', 'stored'])
    expect(state()).toEqual({ seq: 3, tombstone: 0, title: 'Version 3' }) // older entries never win
    expect(store.versionVector()).toEqual({ [chain[0]!.payload.publisher]: 3 })

    expect(store.store([chain[0]!])).toEqual(['duplicate'])
    expect(store.store([chain[4]!, chain[3]!])).toEqual(['stored', 'stored'])
    expect(state()).toEqual({ seq: 5, tombstone: 1, title: null }) // the tombstone wins
    expect(store.publisherStates()[0]).toMatchObject({ contiguousSeq: 5, maxSeq: 5 })
  })

  it('two entries for one sequence number: the lower hash stands whatever the order, and both are kept as proof', async () => {
    for (const order of ['low first', 'high first'] as const) {
      const signer = await EntrySigner.create(await generateIdentityKey())
      const mk = async (title: string): Promise<SignedEntry> =>
        signer.sign({
          v: 1,
          publisher: signer.peerId,
          datasetId: 'x',
          seq: 1,
          prevHash: null,
          issuedAt: new Date().toISOString(),
          tombstone: false,
          dataset: datasetMetadataSchema.parse(sampleDataset({ id: 'x', title }))
        })
      const [a, b] = [await mk('A'), await mk('B')]
      const [low, high] = a.hash < b.hash ? [a, b] : [b, a]
      const [first, second] = order === 'low first' ? [low, high] : [high, low]
      expect(store.store([first, second]), order).toEqual(['stored', order === 'low first' ? 'conflict' : 'replaced'])
      expect(db.$client.prepare('SELECT hash FROM entries WHERE publisher = ?').all(signer.peerId), order).toEqual([{ hash: low.hash }])
      expect(db.$client.prepare('SELECT entry_hash AS h, title FROM datasets WHERE publisher = ?').get(signer.peerId), order).toEqual({
        h: low.hash,
        title: low === a ? 'A' : 'B'
      })
      expect(
        store
          .equivocations()
          .filter(p => p.publisher === signer.peerId)
          .map(p => [p.kind, p.jwsA, p.jwsB]),
        order
      ).toEqual([['same-seq', low.jws, high.jws]])
    }
  })

  it('purges a publisher completely', () => {
    const publisher = chain[0]!.payload.publisher
    expect(store.purgePublishers([publisher])).toBe(5)
    expect(db.$client.prepare('SELECT COUNT(*) AS c FROM datasets WHERE publisher = ?').get(publisher)).toEqual({ c: 0 })
    expect(store.versionVector()[publisher]).toBeUndefined()
  })
})
