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

/** What must hold in a killed node's data directory before it restarts. */
function checkDataDir(dataDir: string, publisher: string, acknowledged: Set<string>): { entries: number; blobs: number } {
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
    // Everything the API acknowledged survived the kill.
    const held = new Set(own.map(e => e.hash))
    for (const hash of acknowledged) expect(held.has(hash), `acknowledged entry ${hash} lost`).toBe(true)
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
    const acknowledged = new Set<string>()
    const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${victim.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${victim.token}`, ...(init.headers as Record<string, string> | undefined) }
      })
    let published = 0
    let startAt = 0
    const kills: Record<Operation, number> = { publish: 0, upload: 0, import: 0, sync: 0 }
    let output = (): string => ''
    let restarted: Promise<void> = Promise.resolve()
    const restart = (): void => {
      restarted = spawnCli(['start', '--data-dir', victim.dataDir], /is running at/).then(r => {
        victim.child = r.child
        output = r.output
        region.children.push(r.child)
      })
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
            if (r.status === 201) {
              acknowledged.add(((await r.json()) as any).entry.hash)
              published++
            }
          } else if (op === 'upload') {
            const id = `datei-${k}-${i}`
            const r0 = await api('/api/v1/datasets', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(sampleDataset({ id, title: `Datei ${k}/${i}` }))
            })
            if (r0.status === 201) acknowledged.add(((await r0.json()) as any).entry.hash)
            const r = await api(`/api/v1/datasets/${id}/distributions/daten?title=Daten&format=CSV&license=dl-by-de/2.0`, {
              method: 'PUT',
              headers: { 'content-type': 'text/csv' },
              body: randomBytes(2 * 1024 * 1024)
            })
            if (r.status === 201) acknowledged.add(((await r.json()) as any).entry.hash)
          } else if (op === 'import') {
            // The answer is left unread: the node must survive the kill whatever the import had reached.
            await api('/api/v1/import', {
              method: 'POST',
              headers: { 'content-type': 'text/turtle' },
              body: catalogTurtle(k * 100 + i, 60)
            })
          } else {
            await new Promise(r => setTimeout(r, 20))
          }
        }
      })().catch(() => {
        /* the kill ends it */
      })
      await new Promise(r => setTimeout(r, 100 + Math.floor(random() * 600)))
      killed = true
      const alive = await killHard(victim)
      // Files being written when the kill came: left in tmp/, never under a hash name.
      tally('uploads cut off by a SIGKILL (left in tmp/)', readdirSync(join(victim.dataDir, 'blobs', 'tmp')).length)
      expect(alive, `the node had died before the kill:\n${output()}`).toBe(true)
      await work
      kills[op]++
      if (process.env.SWF_TEST_DEBUG !== undefined) console.error(`kill ${k} during ${op}`)

      const { entries } = checkDataDir(victim.dataDir, victim.peerId, acknowledged)
      expect(entries).toBeGreaterThanOrEqual(startAt) // never fewer own entries than before
      startAt = entries
      restart()
      await restarted
    }
    tally('SIGKILLs (publish, upload, import, sync)', KILLS)
    expect(published).toBeGreaterThan(0)

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
