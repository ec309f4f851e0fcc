import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rng } from '../helpers/fuzz.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { spawnCli } from '../helpers/cli.js'
import { TestRegion, waitFor, type ChildNode, type RegionNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

const KILLS = 12
const OPERATIONS = ['publish', 'upload', 'import', 'sync'] as const
type Operation = (typeof OPERATIONS)[number]
/**
 * Requests of a kind the node must have answered 2xx in a round before the
 * kill may come. With kills at 100–700 ms after a restart alone, the node
 * had acknowledged one or two publishes per round: the kills cut a node
 * that was barely working. An upload counts twice (dataset, then file).
 */
const ACKS_BEFORE_KILL: Record<Operation, number> = { publish: 10, upload: 4, import: 1, sync: 0 }

/** A DCAT-AP.de catalog in Turtle with `n` datasets, as a portal export would be. */
function catalogTurtle(round: number, n: number): string {
  const lines = ['@prefix dcat: <http://www.w3.org/ns/dcat#> .', '@prefix dct: <http://purl.org/dc/terms/> .', '']
  for (let i = 0; i < n; i++) {
    const iri = `<https://portal.example/dataset/import-${round}-${i}>`
    lines.push(
      `${iri} a dcat:Dataset ; dct:identifier "import-${round}-${i}" ; dct:title "Import ${round}/${i}"@de ; dct:description "Aus dem Portal übernommen."@de ;`,
      `  dcat:distribution <https://portal.example/dist/${round}-${i}> .`,
      `<https://portal.example/dist/${round}-${i}> a dcat:Distribution ; dct:title "CSV" ; dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ; dcat:accessURL <https://portal.example/files/${round}-${i}.csv> .`
    )
  }
  return lines.join('\n')
}

/** What the node's API answered 2xx for: own entries (seq → hash), files, and whole imports. */
interface Acknowledged {
  entries: Map<number, string>
  blobs: Set<string>
  imports: Map<string, number>
}

/** Every acknowledged entry at its seq with its hash, every acknowledged file and every dataset of an acknowledged import. */
function expectAcknowledged(db: Database.Database, publisher: string, acknowledged: Acknowledged): void {
  const hashAt = db.prepare('SELECT hash FROM entries WHERE publisher = ? AND seq = ?').pluck()
  for (const [seq, hash] of acknowledged.entries) expect(hashAt.get(publisher, seq), `acknowledged entry ${seq} lost or changed`).toBe(hash)
  const blob = db.prepare('SELECT COUNT(*) FROM blobs WHERE sha256 = ?').pluck()
  for (const sha256 of acknowledged.blobs) expect(blob.get(sha256), `acknowledged file ${sha256} lost`).toBe(1)
  const imported = db.prepare("SELECT COUNT(*) FROM datasets WHERE publisher = ? AND dataset_id LIKE ? || '-%' AND tombstone = 0").pluck()
  for (const [prefix, n] of acknowledged.imports) expect(imported.get(publisher, prefix), `acknowledged import ${prefix}`).toBe(n)
}

/**
 * How a request ends when the node it talks to is SIGKILLed: the socket is
 * reset or closed under it (undici's codes). Anything else — an HTTP error, a
 * refused connection, another exception — is a failure of the node.
 */
const KILL_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])
function cutByKill(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (KILL_ERRORS.has((e as NodeJS.ErrnoException).code ?? '')) return true
  }
  return false
}
const describeError = (err: unknown): string => {
  const parts: string[] = []
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    parts.push(`${e.name}: ${e.message}${(e as NodeJS.ErrnoException).code === undefined ? '' : ` (${(e as NodeJS.ErrnoException).code})`}`)
  return parts.join(' ← ')
}

/** What must hold in a killed node's data directory before it restarts. */
function checkDataDir(dataDir: string, publisher: string, acknowledged: Acknowledged): { entries: number; blobs: number } {
  const db = new Database(join(dataDir, 'node.sqlite'))
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    // Own entries: seq 1..n without gaps or reuse, each naming its predecessor's hash.
    const own = db.prepare('SELECT seq, hash, jws FROM entries WHERE publisher = ? ORDER BY seq').all(publisher) as Array<{
      seq: number
      hash: string
      jws: string
    }>
    own.forEach((e, i) => {
      expect(e.seq).toBe(i + 1)
      expect(createHash('sha256').update(e.jws).digest('hex')).toBe(e.hash)
      const payload = JSON.parse(Buffer.from(e.jws.split('.')[1]!, 'base64url').toString('utf8')) as { prevHash: string | null }
      expect(payload.prevHash).toBe(i === 0 ? null : own[i - 1]!.hash)
    })
    // Everything the API acknowledged survived the kill, under the sequence number it was acknowledged with.
    expectAcknowledged(db, publisher, acknowledged)
    // Every blob file is complete (named by the hash of its bytes) and every blob row has its file.
    const root = join(dataDir, 'blobs')
    let blobs = 0
    for (const dir of readdirSync(root).filter(d => d !== 'tmp')) {
      for (const name of readdirSync(join(root, dir))) {
        expect(
          createHash('sha256')
            .update(readFileSync(join(root, dir, name)))
            .digest('hex')
        ).toBe(name)
        blobs++
      }
    }
    for (const { sha256 } of db.prepare('SELECT sha256 FROM blobs').all() as Array<{ sha256: string }>) {
      expect(existsSync(join(root, sha256.slice(0, 2), sha256)), `blob ${sha256}`).toBe(true)
    }
    return { entries: own.length, blobs }
  } finally {
    db.close()
  }
}

/** SIGKILL, and wait until the process is gone; false if it had already died. */
async function killHard(node: ChildNode): Promise<boolean> {
  const child = node.child
  if (child.exitCode !== null || child.signalCode !== null) return false
  const gone = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGKILL')
  await gone
  return true
}

describe('SIGKILL at random moments', () => {
  const region = new TestRegion()
  let arnsberg: RegionNode, menden: RegionNode, victim: ChildNode

  beforeAll(async () => {
    await region.startRegistry()
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004')
    menden = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    victim = await region.addChildNode('Stadt Olpe', '05966024')
  })
  afterAll(async () => {
    await region.close()
  })

  it(`${KILLS} kills during publishing, uploads, imports and sync: no corruption, nothing acknowledged lost, the region converges`, async () => {
    const random = rng(1122)
    const acknowledged: Acknowledged = { entries: new Map(), blobs: new Set(), imports: new Map() }
    const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${victim.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${victim.token}`, ...(init.headers as Record<string, string> | undefined) }
      })
    let startAt = 0
    const kills: Record<Operation, number> = { publish: 0, upload: 0, import: 0, sync: 0 }
    /** Requests the node answered 2xx, per kind of work. */
    const acks: Record<Operation, number> = { publish: 0, upload: 0, import: 0, sync: 0 }
    /** Answers and errors a live node must not give: every one fails the test. */
    const unexpected: string[] = []
    let output = (): string => ''
    let restarted: Promise<void> = Promise.resolve()
    const restart = (): void => {
      restarted = spawnCli(['start', '--data-dir', victim.dataDir], /is running at/).then(r => {
        victim.child = r.child
        output = r.output
        region.children.push(r.child)
      })
    }
    /** The answer's JSON if the node answered `status`; otherwise the answer is recorded as unexpected. */
    const answer = async (op: Operation, r: Response, status: number): Promise<any> => {
      if (r.status === status) return r.json()
      unexpected.push(`${op}: ${r.status} ${await r.text()}`)
      return undefined
    }
    const acknowledge = (op: Operation, body: any): void => {
      if (body === undefined) return
      acknowledged.entries.set(body.entry.seq, body.entry.hash)
      acks[op]++
    }

    for (let k = 0; k < KILLS; k++) {
      const op = OPERATIONS[k % OPERATIONS.length]!
      if (op === 'sync') {
        // The victim is offline while Arnsberg publishes; it is killed while catching up.
        await killHard(victim)
        for (let i = 0; i < 150; i++) await region.publish(arnsberg, sampleDataset({ id: `sync-${k}-${i}`, title: `Sync ${k}/${i}` }))
        restart()
        await restarted
      }
      const acksBefore = acks[op]
      // The work, left running when the kill comes.
      let killed = false
      const work = (async () => {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the kill below sets it while this loop awaits
        for (let i = 0; !killed; i++) {
          if (op === 'publish') {
            const r = await api('/api/v1/datasets', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(sampleDataset({ id: `pub-${k}-${i}`, title: `Veröffentlicht ${k}/${i}` }))
            })
            acknowledge(op, await answer(op, r, 201))
          } else if (op === 'upload') {
            const id = `datei-${k}-${i}`
            const r0 = await api('/api/v1/datasets', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(sampleDataset({ id, title: `Datei ${k}/${i}` }))
            })
            acknowledge(op, await answer(op, r0, 201))
            const r = await api(`/api/v1/datasets/${id}/distributions/daten?title=Daten&format=CSV&license=dl-by-de/2.0`, {
              method: 'PUT',
              headers: { 'content-type': 'text/csv' },
              body: randomBytes(2 * 1024 * 1024)
            })
            const put = await answer(op, r, 201)
            acknowledge(op, put)
            if (put !== undefined) acknowledged.blobs.add(put.dataset.distributions.find((d: any) => d.id === 'daten').sha256)
          } else if (op === 'import') {
            // The node answers when the whole import is stored: a kill before that may leave any part of it.
            const round = k * 100 + i
            const r = await api('/api/v1/import', {
              method: 'POST',
              headers: { 'content-type': 'text/turtle' },
              body: catalogTurtle(round, 60)
            })
            const report = await answer(op, r, 200)
            if (report !== undefined) {
              expect(report).toMatchObject({ created: 60, complete: true })
              acknowledged.imports.set(`import-${round}`, 60)
              acks[op]++
            }
          } else {
            await new Promise(r => setTimeout(r, 20))
          }
        }
      })().catch((err: unknown) => {
        // Only the kill may end a request, and only by cutting its connection.
        if (!killed || !cutByKill(err)) unexpected.push(`${op}${killed ? '' : ' (before the kill)'}: ${describeError(err)}`)
      })
      // The kill comes at a random moment after the node has acknowledged some of this work: it cuts a node at work.
      await waitFor(
        () => acks[op] - acksBefore >= ACKS_BEFORE_KILL[op] || unexpected.length > 0,
        `kill ${k}: ${ACKS_BEFORE_KILL[op]} ${op} request(s) acknowledged`,
        60_000
      )
      expect(unexpected, `kill ${k} during ${op}, before the kill`).toEqual([])
      await new Promise(r => setTimeout(r, 100 + Math.floor(random() * 600)))
      killed = true
      const alive = await killHard(victim)
      // Files being written when the kill came: left in tmp/, never under a hash name.
      tally('uploads cut off by a SIGKILL (left in tmp/)', readdirSync(join(victim.dataDir, 'blobs', 'tmp')).length)
      expect(alive, `the node had died before the kill:\n${output()}`).toBe(true)
      await work
      expect(unexpected, `kill ${k} during ${op}`).toEqual([])
      kills[op]++
      if (process.env.SWF_TEST_DEBUG !== undefined) console.error(`kill ${k} during ${op}: ${acks[op] - acksBefore} acknowledged`)

      const { entries } = checkDataDir(victim.dataDir, victim.peerId, acknowledged)
      expect(entries).toBeGreaterThanOrEqual(startAt) // never fewer own entries than before
      startAt = entries
      restart()
      await restarted
      // …and still there once the node runs again (start-up repairs must not drop them).
      const db = new Database(join(victim.dataDir, 'node.sqlite'), { readonly: true })
      try {
        expectAcknowledged(db, victim.peerId, acknowledged)
      } finally {
        db.close()
      }
    }
    tally('SIGKILLs (publish, upload, import, sync)', KILLS)
    tally('requests acknowledged before a SIGKILL and found after it', acknowledged.entries.size + acknowledged.imports.size)
    // Acknowledged before the kills and found after them: every kind of work, in numbers.
    for (const op of OPERATIONS) expect(acks[op], op).toBeGreaterThanOrEqual(kills[op] * ACKS_BEFORE_KILL[op])
    expect(acknowledged.entries.size).toBeGreaterThanOrEqual(
      kills.publish * ACKS_BEFORE_KILL.publish + kills.upload * ACKS_BEFORE_KILL.upload
    )
    expect(acknowledged.blobs.size).toBeGreaterThanOrEqual(kills.upload)
    expect(acknowledged.imports.size).toBeGreaterThanOrEqual(kills.import * ACKS_BEFORE_KILL.import)

    // After the last restart the sequence continues where it stopped.
    const next = await api('/api/v1/datasets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sampleDataset({ id: 'nach-den-abstuerzen', title: 'Nach den Abstürzen' }))
    })
    expect(next.status).toBe(201)
    expect(((await next.json()) as any).entry.seq).toBe(startAt + 1)

    // The region converges to one content hash.
    const hashOf = (dataDir: string): string => {
      const db = new Database(join(dataDir, 'node.sqlite'), { readonly: true })
      try {
        return createHash('sha256')
          .update(
            (db.prepare("SELECT group_concat(hash, ',') AS h FROM (SELECT hash FROM entries ORDER BY hash)").get() as { h: string }).h
          )
          .digest('hex')
      } finally {
        db.close()
      }
    }
    await waitFor(
      () => {
        const h = hashOf(victim.dataDir)
        return h === region.contentHash(arnsberg).hash && h === region.contentHash(menden).hash
      },
      'region converged after the kills',
      60_000,
      250
    )
    expect(Object.values(kills).every(n => n >= 3)).toBe(true)
  }, 300_000)
})
