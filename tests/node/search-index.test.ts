import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { datasetMetadataSchema, EntrySigner, generateIdentityKey, searchQuerySchema, type SignedEntry } from '@swf/protocol'
import { openDatabase } from '@swf/node/db/open'
import * as schema from '@swf/node/db/schema'
import { EntryStore } from '@swf/node/services/entry-store'
import { MAX_COUNTED_HITS, MAX_RANKED_HITS, SearchService } from '@swf/node/services/search-service'
import { SearchIndex } from '@swf/node/services/search-index'
import { publishBulk } from '../helpers/bulk.js'
import { runCli } from '../helpers/cli.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, tempDir, searchOk, type TestNode } from '../helpers/node.js'

describe('SearchIndex (the in-memory filters and facets)', () => {
  const doc = (ds: number, issuedMs: number, theme = 'ENVI', publisher = 'p1') => ({
    ds,
    publisher,
    issuedMs,
    modifiedMs: NaN,
    bbox: null,
    terms: [{ kind: 'theme' as const, value: theme }]
  })

  it('orders newest first across word boundaries and resumes after a cursor without loss or repeat', () => {
    const index = new SearchIndex()
    // Keys around the 32-bit word edges, times not in key order, and a tie.
    const keys = [0, 1, 31, 32, 33, 63, 64, 95, 2000]
    keys.forEach((ds, i) => {
      index.put(doc(ds, 1000 + ((i * 7) % 5)))
    })
    const all = index.newest(index.all(), 100)
    expect(all).toHaveLength(keys.length)
    for (let i = 1; i < all.length; i++) {
      const [a, b] = [all[i - 1]!, all[i]!]
      expect(a.issuedMs > b.issuedMs || (a.issuedMs === b.issuedMs && a.ds > b.ds)).toBe(true)
    }
    const paged: number[] = []
    let after: { ds: number; issuedMs: number } | undefined
    for (;;) {
      const page = index.newest(index.all(), 2, after)
      if (page.length === 0) break
      paged.push(...page.map(p => p.ds))
      after = page[page.length - 1]
    }
    expect(paged).toEqual(all.map(a => a.ds))
    expect(index.keysBelow(index.all(), 64, 100)).toEqual([63, 33, 32, 31, 1, 0])
    expect(index.keysBelow(index.all(), 32, 2)).toEqual([31, 1])
    expect(index.keysBelow(index.all(), 0, 10)).toEqual([])
  })

  it('a new version of a dataset replaces its terms; a removed one leaves every count', () => {
    const index = new SearchIndex()
    index.put(doc(5, 1, 'ENVI', 'p1'))
    index.put(doc(6, 2, 'ENVI', 'p2'))
    index.put(doc(5, 3, 'TRAN', 'p1'))
    expect(index.termFacets(index.all(), 50).theme).toEqual([
      { value: 'ENVI', count: 1 },
      { value: 'TRAN', count: 1 }
    ])
    index.remove(6)
    expect(index.count(index.all())).toBe(1)
    expect(index.termFacets(index.all(), 50).theme).toEqual([{ value: 'TRAN', count: 1 }])
    expect(index.publisherFacet(index.all(), 10)).toEqual([{ value: 'p1', count: 1 }])
    const set = index.all()
    index.keepTerms(set, 'theme', ['ENVI'])
    expect(index.count(set)).toBe(0)
  })
})

describe('search over a large catalog: bounded ranking and counting', () => {
  let t: TestNode
  const search = async (qs: string): Promise<any> => searchOk(t, qs)

  beforeAll(async () => {
    t = await startTestNode()
    // Every bulk dataset says "Messwerten": one word in more datasets than are ranked.
    await publishBulk(t.node, MAX_RANKED_HITS + 150)
  }, 120_000)
  afterAll(async () => t.cleanup())

  it('ranks the newest matches, then lists older ones, and a cursor reaches every match exactly once', async () => {
    const first = await search('q=Messwerten&limit=100')
    expect(first.total).toBe(MAX_RANKED_HITS + 150)
    expect(first.totalExact).toBe(true)
    expect(first.items.every((h: any) => h.score > 0)).toBe(true)
    const seen: string[] = []
    const scores: number[] = []
    let cursor: string | null = null
    do {
      const page: any = await search(`q=Messwerten&limit=100${cursor === null ? '' : `&cursor=${cursor}`}`)
      seen.push(...page.items.map((h: any) => h.dataset.id))
      scores.push(...page.items.map((h: any) => h.score))
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(seen).toHaveLength(MAX_RANKED_HITS + 150)
    expect(new Set(seen).size).toBe(MAX_RANKED_HITS + 150)
    // The ranked part (bm25 scores) comes first; the 150 oldest follow with score 0, newest first.
    expect(scores.slice(0, MAX_RANKED_HITS).every(s => s > 0)).toBe(true)
    expect(scores.slice(MAX_RANKED_HITS)).toEqual(Array(150).fill(0))
    const older = seen.slice(MAX_RANKED_HITS).map(id => Number(id.replace('bulk-', '')))
    expect(older).toEqual([...older].sort((a, b) => b - a))
    expect(Math.max(...older)).toBe(150)
  })

  it('facets and counts follow updates and deletions at once (the in-memory index reads the change log)', async () => {
    const before = await search('theme=ENVI')
    const envi = (r: any): number => r.facets.theme.find((f: any) => f.value === 'ENVI')?.count ?? 0
    const edu = (r: any): number => r.facets.theme.find((f: any) => f.value === 'EDUC')?.count ?? 0
    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'schulen', title: 'Schulen', themes: ['EDUC'] })))).status).toBe(201)
    const all0 = await search('')
    expect(edu(all0)).toBe(1)
    expect(all0.total).toBe(MAX_RANKED_HITS + 151)
    const upd = await t.api('/api/v1/datasets/schulen', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sampleDataset({ id: 'schulen', title: 'Schulen und Kitas', themes: ['ENVI'] }))
    })
    expect(upd.status).toBe(200)
    const all1 = await search('')
    expect(edu(all1)).toBe(0)
    expect(envi(all1)).toBe(envi(before) + 1)
    expect((await search('q=Kitas')).items.map((h: any) => h.dataset.id)).toEqual(['schulen'])
    expect((await t.api('/api/v1/datasets/schulen', { method: 'DELETE' })).status).toBe(200)
    const all2 = await search('')
    expect(envi(all2)).toBe(envi(before))
    expect(all2.total).toBe(MAX_RANKED_HITS + 150)
    expect((await search('q=Kitas')).total).toBe(0)
  })

  it('a word in more datasets than are counted says "10 000+" in the API, the web page and the CLI', async () => {
    await publishBulk(t.node, MAX_COUNTED_HITS - MAX_RANKED_HITS)
    const r = await search('q=Messwerten&limit=5')
    expect(r.total).toBe(MAX_COUNTED_HITS)
    expect(r.totalExact).toBe(false)
    expect(r.facets.license.reduce((n: number, f: { count: number }) => n + f.count, 0)).toBe(MAX_COUNTED_HITS)
    // Filters without words still count exactly.
    const unfiltered = await search('limit=1')
    expect(unfiltered.totalExact).toBe(true)
    expect(unfiltered.total).toBe(MAX_COUNTED_HITS + 150)
    const html = await (await t.api('/?q=Messwerten', { auth: false })).text()
    expect(html).toContain('10.000+ Datensätze')
    const cli = await runCli(['search', 'Messwerten', '--limit', '1', '--url', t.node.url])
    expect(cli.stderr).toBe('')
    expect(cli.code).toBe(0)
    expect(cli.stdout.split('\n')[0]).toBe('10000+ hit(s)')
  }, 120_000)
})

describe('migration 0007/0008: a data directory from before the integer key', () => {
  it('keeps every dataset findable by word, theme and facet, and goes on indexing new ones', async () => {
    const dir = tempDir('swf-migrate-')
    try {
      // The migrations as they were before 0007, applied to a fresh file.
      const all = fileURLToPath(new URL('../../node/drizzle', import.meta.url))
      const old = join(dir, 'drizzle')
      cpSync(all, old, { recursive: true })
      const journal = JSON.parse(readFileSync(join(old, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ idx: number }> }
      journal.entries = journal.entries.filter(e => e.idx <= 6)
      writeFileSync(join(old, 'meta', '_journal.json'), JSON.stringify(journal))
      mkdirSync(join(dir, 'data'))
      const file = join(dir, 'data', 'node.sqlite')
      const sqlite = new Database(file)
      const oldDb = drizzle(sqlite, { schema })
      migrate(oldDb, { migrationsFolder: old })
      expect(sqlite.prepare("SELECT count(*) AS n FROM pragma_table_info('datasets') WHERE name = 'ds'").get()).toEqual({ n: 0 })
      const signer = await EntrySigner.create(await generateIdentityKey())
      const entries: SignedEntry[] = []
      const themes = ['ENVI', 'TRAN', 'EDUC'] as const
      for (let seq = 1; seq <= 30; seq++) {
        entries.push(
          await signer.sign({
            v: 1,
            publisher: signer.peerId,
            datasetId: `d${seq}`,
            seq,
            prevHash: entries.at(-1)?.hash ?? null,
            issuedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
            tombstone: seq === 30,
            ...(seq === 30
              ? {}
              : {
                  dataset: datasetMetadataSchema.parse(
                    sampleDataset({ id: `d${seq}`, title: seq === 7 ? 'Straßenbäume' : `Messreihe ${seq}`, themes: [themes[seq % 3]!] })
                  )
                })
          })
        )
      }
      // Written as the version before 0007 wrote them (its entry store's statements): the old triggers index these.
      const insertEntry = sqlite.prepare(
        'INSERT INTO entries (hash, publisher, seq, dataset_id, tombstone, issued_at, received_at, jws) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
      )
      const upsertDataset =
        sqlite.prepare(`INSERT INTO datasets (publisher, dataset_id, entry_hash, seq, tombstone, title, metadata, issued_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (publisher, dataset_id) DO UPDATE SET entry_hash = excluded.entry_hash, seq = excluded.seq,
          tombstone = excluded.tombstone, title = excluded.title, metadata = excluded.metadata, issued_at = excluded.issued_at
        WHERE excluded.seq > datasets.seq`)
      const received = new Date().toISOString()
      sqlite.transaction(() => {
        for (const { hash, jws, payload: p } of entries) {
          insertEntry.run(hash, p.publisher, p.seq, p.datasetId, p.tombstone ? 1 : 0, p.issuedAt, received, jws)
          upsertDataset.run(
            p.publisher,
            p.datasetId,
            hash,
            p.seq,
            p.tombstone ? 1 : 0,
            p.dataset?.title ?? null,
            p.dataset === undefined ? null : JSON.stringify(p.dataset),
            p.issuedAt
          )
        }
        sqlite
          .prepare(
            'INSERT INTO publishers (peer_id, contiguous_seq, max_seq, updated_at, entry_count, entry_bytes) VALUES (?, ?, ?, ?, ?, ?)'
          )
          .run(
            signer.peerId,
            30,
            30,
            received,
            30,
            entries.reduce((n, e) => n + e.jws.length, 0)
          )
      })()
      sqlite.close()

      const db = openDatabase(file)
      const s = new SearchService(db, { kommuneOf: () => null, isOnline: () => true, publishersWithAgs: () => [] })
      const r = s.search(searchQuerySchema.parse({}))
      expect(r.total).toBe(29)
      expect(r.items[0]!.dataset.id).toBe('d29')
      expect(s.search(searchQuerySchema.parse({ q: 'strassenbaeume' })).items.map(h => h.dataset.id)).toEqual(['d7'])
      expect(s.search(searchQuerySchema.parse({ theme: ['TRAN'] })).total).toBe(10)
      expect(r.facets.theme.map(f => [f.value, f.count])).toEqual([
        ['EDUC', 10],
        ['TRAN', 10],
        ['ENVI', 9]
      ])
      expect(db.$client.prepare('SELECT count(*) AS n FROM dataset_terms WHERE ds IS NULL').get()).toEqual({ n: 0 })
      // And a dataset stored after the migration is found too.
      const next = await signer.sign({
        v: 1,
        publisher: signer.peerId,
        datasetId: 'neu',
        seq: 31,
        prevHash: entries.at(-1)!.hash,
        issuedAt: new Date(Date.UTC(2026, 0, 2)).toISOString(),
        tombstone: false,
        dataset: datasetMetadataSchema.parse(sampleDataset({ id: 'neu', title: 'Neue Fahrradständer', themes: ['TRAN'] }))
      })
      new EntryStore(db).store([next])
      expect(s.search(searchQuerySchema.parse({ q: 'Fahrradstaender', theme: ['TRAN'] })).items.map(h => h.dataset.id)).toEqual(['neu'])
      expect(s.search(searchQuerySchema.parse({})).total).toBe(30)
      db.$client.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
