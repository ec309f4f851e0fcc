import { copyFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENTRY_KINDS, EntrySigner, EntryVerifier, filesOfEntry, type EntryKind, type EntryPayload, type SignedEntry } from '@swf/protocol'
import { rotateNodeKey } from '@swf/node/cli/rotate-key'
import { loadIdentityKey } from '@swf/node/identity-store'
import { EntryAcceptor } from '@swf/node/replication/entry-acceptor'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// Every kind of entry through every path, on a real region: publish, update,
// relay, mirror, tombstone, export/import, quota, equivocation, backup and
// restore, key rotation, revocation. A kind added to ENTRY_KINDS fails the
// first test until it has its row here (issue 25: revocation broke for the
// second kind because no test took that path with it).

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3e2b1a40000000049454e44ae426082',
  'hex'
)
const silent = pino({ level: 'silent' })

type Body = Pick<EntryPayload, 'kind' | 'dataset' | 'useCase'>

interface KindRow {
  /** Publishes it at `n` with a file (two entries: the item, then its file). */
  create: (n: RegionNode, id: string, title: string) => Promise<void>
  update: (n: RegionNode, id: string, title: string) => Promise<void>
  remove: (n: RegionNode, id: string) => Promise<void>
  /** Its state table: title and body of (publisher, id) as `at` holds it. */
  table: 'datasets' | 'use_cases'
  idColumn: 'dataset_id' | 'use_case_id'
  bodyColumn: 'metadata' | 'body'
  /** A body for an entry signed by hand (quota, equivocation). */
  body: (id: string, title: string) => Body
  /** The DCAT-AP.de class it is exported as. */
  exportedAs: string
  /** How `swf-node import` carries it into another Kommune's catalog, or why it does not. */
  imported: { asOwnDataset: true } | { notCarried: string }
}

const api = async (n: RegionNode, path: string, init: RequestInit & { type?: string } = {}): Promise<any> => {
  const res = await fetch(`${n.node.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${n.token}`, 'content-type': init.type ?? 'application/json' }
  })
  const body = await res.json()
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

const useCase = (id: string, title: string): Record<string, unknown> => ({
  id,
  title,
  description: `${title}: eine App für die Kommune.`,
  problem: 'Bürgerinnen und Bürger finden die Daten nicht.',
  status: 'pilot',
  needs: { themes: ['TRAN'], formats: ['CSV'] }
})

const ROWS: Record<EntryKind, KindRow> = {
  dataset: {
    create: async (n, id, title) => {
      await api(n, '/api/v1/datasets', { method: 'POST', body: JSON.stringify(sampleDataset({ id, title })) })
      await api(n, `/api/v1/datasets/${id}/distributions/punkte?format=CSV&license=dl-by-de/2.0`, {
        method: 'PUT',
        type: 'text/csv',
        body: `punkt;art\n1;${title}\n`
      })
    },
    update: async (n, id, title) => {
      await api(n, `/api/v1/datasets/${id}`, {
        method: 'PUT',
        body: JSON.stringify({ ...sampleDataset({ id, title }), distributions: undefined })
      })
    },
    remove: async (n, id) => {
      await api(n, `/api/v1/datasets/${id}`, { method: 'DELETE' })
    },
    table: 'datasets',
    idColumn: 'dataset_id',
    bodyColumn: 'metadata',
    body: (id, title) => ({ dataset: { ...sampleDataset({ id, title }), distributions: [] } as NonNullable<Body['dataset']> }),
    exportedAs: 'dcat:Dataset',
    imported: { asOwnDataset: true }
  },
  usecase: {
    create: async (n, id, title) => {
      await api(n, '/api/v1/use-cases', { method: 'POST', body: JSON.stringify(useCase(id, title)) })
      await api(n, `/api/v1/use-cases/${id}/images?title=Startseite`, { method: 'PUT', type: 'image/png', body: PNG })
    },
    update: async (n, id, title) => {
      const held = (await api(n, `/api/v1/use-cases/${n.node.peerId}/${id}`)).useCase
      await api(n, `/api/v1/use-cases/${id}`, { method: 'PUT', body: JSON.stringify({ ...held, title }) })
    },
    remove: async (n, id) => {
      await api(n, `/api/v1/use-cases/${id}`, { method: 'DELETE' })
    },
    table: 'use_cases',
    idColumn: 'use_case_id',
    bodyColumn: 'body',
    body: (id, title) => ({
      kind: 'usecase',
      useCase: { ...useCase(id, title), datasets: [], links: [], images: [] } as unknown as NonNullable<Body['useCase']>
    }),
    exportedAs: 'dcat:DataService',
    imported: {
      notCarried:
        'the DCAT-AP.de import reads dcat:Dataset records of another portal; use cases move between keys by rotation and between data directories by backup'
    }
  }
}

const KINDS = Object.keys(ROWS) as EntryKind[]

/** (tombstone, title, body) of a kind's item as `at` holds it; undefined when not held at all. */
function held(
  at: RegionNode,
  kind: EntryKind,
  publisher: string,
  id: string
): { tombstone: boolean; title: string | null; body: any } | undefined {
  const r = ROWS[kind]
  const row = at.node.db.$client
    .prepare(`SELECT tombstone, title, ${r.bodyColumn} AS body FROM ${r.table} WHERE publisher = ? AND ${r.idColumn} = ?`)
    .get(publisher, id) as { tombstone: number; title: string | null; body: string | null } | undefined
  return row === undefined
    ? undefined
    : { tombstone: row.tombstone === 1, title: row.title, body: row.body === null ? null : JSON.parse(row.body) }
}

const titleAt = (at: RegionNode, kind: EntryKind, publisher: string, id: string): string | null | undefined => {
  const h = held(at, kind, publisher, id)
  return h === undefined ? undefined : h.tombstone ? null : h.title
}

/** Rows of every table (full-text index included) that name this publisher: what a purge must leave at zero. */
function rowsNaming(at: RegionNode, peerId: string): Record<string, number> {
  const sqlite = at.node.db.$client
  const tables = sqlite
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'dataset_fts_%'")
    .all() as Array<{ name: string }>
  const out: Record<string, number> = {}
  for (const { name } of tables) {
    const columns = (sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>).map(c => c.name)
    for (const c of columns.filter(c => c === 'publisher' || c === 'peer_id')) {
      const n = (sqlite.prepare(`SELECT count(*) AS n FROM "${name}" WHERE "${c}" = ?`).get(peerId) as { n: number }).n
      if (n > 0) out[`${name}.${c}`] = n
    }
  }
  return out
}

describe('every entry kind through every path (4 nodes)', () => {
  const region = new TestRegion()
  let soest: RegionNode, arnsberg: RegionNode, menden: RegionNode, olpe: RegionNode
  let nodes: RegionNode[]
  const running = (): RegionNode[] => nodes.filter(n => !stopped.has(n))
  const stopped = new Set<RegionNode>()
  const stop = async (n: RegionNode): Promise<void> => {
    await n.stop()
    stopped.add(n)
  }
  const start = async (n: RegionNode): Promise<void> => {
    await n.start()
    stopped.delete(n)
  }
  const everywhere = async (what: string, check: (n: RegionNode) => boolean, on = running()): Promise<void> => {
    for (const n of on) await waitFor(() => check(n), `${what} at ${n.name}`, 30_000)
  }

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    // Arnsberg keeps copies of Soest's files: the mirror path.
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004', { mirror: { publishers: ['05974040'] } })
    menden = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    olpe = await region.addNode('Stadt Olpe', '05966024')
    nodes = [soest, arnsberg, menden, olpe]
    await waitFor(() => nodes.every(n => n.node.network!.host.getPeers().length === 3), 'full mesh', 30_000)
  })
  afterAll(async () => {
    await region.close()
  })

  it('every kind of entry the protocol knows has its row in this test', () => {
    expect(KINDS.sort()).toEqual([...ENTRY_KINDS].sort())
  })

  it('publish: each kind, with its file, reaches every node, and the mirror keeps the files of every kind', async () => {
    for (const kind of KINDS) {
      await ROWS[kind].create(soest, `${kind}-a`, `Erstes ${kind}`)
      await ROWS[kind].create(olpe, `${kind}-olpe`, `Olpe ${kind}`)
    }
    for (const kind of KINDS) {
      await everywhere(`${kind} published`, n => titleAt(n, kind, soest.node.peerId, `${kind}-a`) === `Erstes ${kind}`)
      await everywhere(`${kind} of Olpe`, n => titleAt(n, kind, olpe.node.peerId, `${kind}-olpe`) === `Olpe ${kind}`)
      const files = filesOfEntry({
        [kind === 'usecase' ? 'useCase' : 'dataset']: held(arnsberg, kind, soest.node.peerId, `${kind}-a`)!.body
      })
      expect(files).toHaveLength(1)
      for (const f of files)
        await waitFor(async () => (await arnsberg.node.app.request(`/api/v1/files/${f.sha256}`)).status === 200, `mirrored ${kind} file`)
    }
  })

  it('update: the newer version of each kind stands everywhere', async () => {
    for (const kind of KINDS) await ROWS[kind].update(soest, `${kind}-a`, `Zweites ${kind}`)
    for (const kind of KINDS)
      await everywhere(`${kind} updated`, n => titleAt(n, kind, soest.node.peerId, `${kind}-a`) === `Zweites ${kind}`)
  })

  it('relay: a Kommune offline while each kind is published gets it from a neighbour while the publisher is offline', async () => {
    await stop(menden)
    for (const kind of KINDS) await ROWS[kind].create(soest, `${kind}-relay`, `Weitergereicht ${kind}`)
    for (const kind of KINDS) await everywhere(`${kind} relayed`, n => titleAt(n, kind, soest.node.peerId, `${kind}-relay`) !== undefined)
    await stop(soest)
    await start(menden)
    for (const kind of KINDS) {
      await waitFor(
        () => titleAt(menden, kind, soest.node.peerId, `${kind}-relay`) === `Weitergereicht ${kind}`,
        `${kind} relayed to Menden`,
        30_000
      )
    }
    await start(soest)
  })

  it('tombstone: deleting each kind deletes it everywhere, and the tombstone stays', async () => {
    for (const kind of KINDS) await ROWS[kind].remove(soest, `${kind}-relay`)
    for (const kind of KINDS) await everywhere(`${kind} deleted`, n => titleAt(n, kind, soest.node.peerId, `${kind}-relay`) === null)
  })

  it('export and import: each kind is in the DCAT-AP.de export; what an import carries arrives, what it does not is said', async () => {
    const ttl = await (await fetch(`${arnsberg.node.url}/catalog.ttl?scope=region`)).text()
    for (const kind of KINDS) {
      const title = `Zweites ${kind}`
      expect(ttl, kind).toContain(title)
      const at = ttl.indexOf(title)
      const subject = ttl.lastIndexOf('\n\n', at)
      expect(ttl.slice(subject, at), `${kind} exported as ${ROWS[kind].exportedAs}`).toContain(ROWS[kind].exportedAs.replace('dcat:', ''))
    }
    const own = await (await fetch(`${soest.node.url}/catalog.ttl?scope=own`)).text()
    await api(menden, '/api/v1/import', { method: 'POST', type: 'text/turtle', body: own })
    for (const kind of KINDS) {
      const how = ROWS[kind].imported
      if ('notCarried' in how) {
        expect(how.notCarried.length).toBeGreaterThan(20)
        expect(held(menden, kind, menden.node.peerId, `${kind}-a`)).toBeUndefined()
      } else expect(titleAt(menden, 'dataset', menden.node.peerId, `${kind}-a`)).toBe(`Zweites ${kind}`)
    }
  })

  let olpeSigner: EntrySigner
  const signOlpe = async (seq: number, prevHash: string | null, id: string, kind: EntryKind, title: string): Promise<SignedEntry> =>
    olpeSigner.sign({
      v: 1,
      publisher: olpe.node.peerId,
      seq,
      prevHash,
      issuedAt: new Date().toISOString(),
      datasetId: id,
      tombstone: false,
      ...ROWS[kind].body(id, title)
    })

  it('quota: an entry of each kind beyond the publisher quota is refused and not stored; within it, stored', async () => {
    const olpeId = olpe.node.peerId
    await stop(olpe)
    olpeSigner = await EntrySigner.create(await loadIdentityKey(join(olpe.dataDir, 'node-key.json')))
    const acceptor = menden.node.network!.replication.acceptor
    const tight = new EntryAcceptor(menden.node.store, menden.node.directory!, new EntryVerifier(), menden.node.peerId, silent, undefined, {
      maxEntriesPerPublisher: 1_000_000,
      maxBytesPerPublisher: 256 * 1024 * 1024,
      maxBytesPerHour: 1_000,
      maxClockSkewMs: 300_000
    })
    for (const kind of KINDS) {
      const head = menden.node.store.headOf(olpeId)
      const e = await signOlpe(head.seq + 1, head.hash, `${kind}-quota`, kind, `Quote ${kind}`)
      const refused = await tight.accept([e.jws], 'test')
      expect(refused.rejected, kind).toEqual([{ reason: 'over-quota' }])
      expect(held(menden, kind, olpeId, `${kind}-quota`), kind).toBeUndefined()
      expect((await acceptor.accept([e.jws], 'test')).stored, kind).toHaveLength(1)
      expect(titleAt(menden, kind, olpeId, `${kind}-quota`)).toBe(`Quote ${kind}`)
    }
  })

  it('equivocation: two entries of each kind for one seq leave a proof on both nodes, and both keep the lower hash', async () => {
    const olpeId = olpe.node.peerId
    for (const kind of KINDS) {
      const head = menden.node.store.headOf(olpeId)
      await waitFor(() => arnsberg.node.store.headOf(olpeId).seq === head.seq, 'Arnsberg caught up with Olpe')
      const [a, b] = [
        await signOlpe(head.seq + 1, head.hash, `${kind}-fork`, kind, `Fassung A ${kind}`),
        await signOlpe(head.seq + 1, head.hash, `${kind}-fork`, kind, `Fassung B ${kind}`)
      ]
      await arnsberg.node.network!.replication.acceptor.accept([a.jws], 'test')
      await menden.node.network!.replication.acceptor.accept([b.jws], 'test')
      const winner = a.hash < b.hash ? a : b
      for (const n of [arnsberg, menden, soest]) {
        await waitFor(() => n.node.store.hashAt(olpeId, head.seq + 1) === winner.hash, `${kind}: ${n.name} keeps the lower hash`, 30_000)
        await waitFor(
          () => n.node.store.equivocations().some(p => p.publisher === olpeId && p.seq === head.seq + 1),
          `${kind}: proof at ${n.name}`,
          30_000
        )
        expect(titleAt(n, kind, olpeId, `${kind}-fork`)).toBe(winner.payload[kind === 'usecase' ? 'useCase' : 'dataset']!.title)
      }
    }
  })

  it('backup and restore: a node restored from an older backup gets back every kind published since, with its files', async () => {
    const backup = join(region.root, 'arnsberg-backup.sqlite')
    await arnsberg.node.db.$client.backup(backup)
    for (const kind of KINDS) await ROWS[kind].create(soest, `${kind}-after-backup`, `Nach der Sicherung ${kind}`)
    for (const kind of KINDS)
      await waitFor(() => titleAt(arnsberg, kind, soest.node.peerId, `${kind}-after-backup`) !== undefined, `${kind} at Arnsberg`)
    await stop(arnsberg)
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(arnsberg.dataDir, `node.sqlite${suffix}`), { force: true })
    copyFileSync(backup, join(arnsberg.dataDir, 'node.sqlite'))
    await start(arnsberg)
    for (const kind of KINDS) {
      expect(titleAt(arnsberg, kind, soest.node.peerId, `${kind}-a`), `${kind} from the backup`).toBe(`Zweites ${kind}`)
      await waitFor(
        () => titleAt(arnsberg, kind, soest.node.peerId, `${kind}-after-backup`) === `Nach der Sicherung ${kind}`,
        `${kind} published after the backup, back at Arnsberg`,
        30_000
      )
      const files = filesOfEntry({
        [kind === 'usecase' ? 'useCase' : 'dataset']: held(arnsberg, kind, soest.node.peerId, `${kind}-after-backup`)!.body
      })
      for (const f of files)
        await waitFor(
          async () => (await arnsberg.node.app.request(`/api/v1/files/${f.sha256}`)).status === 200,
          `${kind} file mirrored again`
        )
    }
  })

  it('key rotation: every live entry of every kind is re-published under the new key, and the old key disappears', async () => {
    const oldId = soest.node.peerId
    await stop(soest)
    const { newPeerId } = await rotateNodeKey(soest.dataDir)
    await start(soest)
    expect(soest.node.peerId).toBe(newPeerId)
    for (const kind of KINDS) {
      for (const id of [`${kind}-a`, `${kind}-after-backup`]) {
        await everywhere(
          `${kind} ${id} under the new key`,
          n => titleAt(n, kind, newPeerId, id) !== undefined && titleAt(n, kind, newPeerId, id) !== null
        )
      }
    }
    await everywhere('the old key gone', n => Object.keys(rowsNaming(n, oldId)).length === 0)
    // A use case's datasets of the old key now name the new key.
    const uc = held(menden, 'usecase', newPeerId, 'usecase-a')!.body
    expect(JSON.stringify(uc)).not.toContain(oldId)
  })

  it('revocation: a revoked Kommune with every kind disappears from every table of every node, lists go on, and a node that was offline starts and purges', async () => {
    const olpeId = olpe.node.peerId
    await stop(menden)
    const serialBefore = soest.node.directory!.serial
    await region.registry.service.revoke(olpeId)
    for (const n of running()) {
      await waitFor(
        () => n.node.directory!.serial > serialBefore && !n.node.directory!.isPublisher(olpeId),
        `new list at ${n.name}`,
        30_000
      )
      await waitFor(
        () => Object.keys(rowsNaming(n, olpeId)).length === 0,
        `Olpe purged at ${n.name}: ${JSON.stringify(rowsNaming(n, olpeId))}`,
        30_000
      )
    }
    // Menden held Olpe's entries of every kind, proofs included; it starts and purges them.
    await start(menden)
    expect(rowsNaming(menden, olpeId)).toEqual({})
    await waitFor(() => menden.node.directory!.serial === soest.node.directory!.serial, 'Menden has the current list')
    // The node goes on: a later list change (a new Kommune) reaches it, and it syncs.
    const serial = soest.node.directory!.serial
    const iserlohn = await region.addNode('Stadt Iserlohn', '05962024')
    nodes.push(iserlohn)
    await ROWS.dataset.create(iserlohn, 'neu', 'Neu in der Region')
    for (const n of running()) {
      await waitFor(() => n.node.directory!.serial > serial, `the list after revocation applies at ${n.name}`, 30_000)
      await waitFor(
        () => titleAt(n, 'dataset', iserlohn.node.peerId, 'neu') === 'Neu in der Region',
        `Iserlohn's dataset at ${n.name}`,
        30_000
      )
    }
  })
})
