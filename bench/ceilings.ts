import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'

// Hardware ceilings measured in the same run as the benchmark, so the
// results can be read as a fraction of what this machine can do at all.

const VERIFY_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { createPublicKey, verify } = require('node:crypto')
const key = createPublicKey({ key: Buffer.from(workerData.spki), format: 'der', type: 'spki' })
const msg = Buffer.from(workerData.msg)
const sig = Buffer.from(workerData.sig)
let n = 0
const end = Date.now() + workerData.ms
while (Date.now() < end) { for (let i = 0; i < 200; i++) verify(null, msg, key, sig); n += 200 }
parentPort.postMessage(n)
`

/** Ed25519 verifications per second with node:crypto and a cached key, on every core. */
export async function ed25519VerifyCeiling(ms = 3000): Promise<{ perSecond: number; threads: number }> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const msg = Buffer.alloc(900, 7) // about the signing input of an entry
  const sig = sign(null, msg, privateKey)
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  const threads = availableParallelism()
  const counts = await Promise.all(
    Array.from(
      { length: threads },
      async () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(VERIFY_WORKER, { eval: true, workerData: { spki, msg, sig, ms } })
          w.once('message', resolve)
          w.once('error', reject)
        })
    )
  )
  return { perSecond: Math.round(counts.reduce((a, b) => a + b, 0) / (ms / 1000)), threads }
}

/** Rows per second inserted into an entries-shaped table in one transaction. */
export function sqliteInsertCeiling(rows = 100_000): { perSecond: number } {
  const dir = mkdtempSync(join(tmpdir(), 'swf-bench-sqlite-'))
  const db = new Database(join(dir, 'x.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec(
    'CREATE TABLE e (hash TEXT PRIMARY KEY, publisher TEXT, seq INTEGER, dataset_id TEXT, jws TEXT); CREATE UNIQUE INDEX e_ps ON e (publisher, seq)'
  )
  const ins = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?)')
  const jws = 'x'.repeat(1200)
  const t0 = performance.now()
  db.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(i.toString(16).padStart(64, '0'), 'p', i, `d${i}`, jws)
  })()
  const perSecond = Math.round(rows / ((performance.now() - t0) / 1000))
  db.close()
  rmSync(dir, { recursive: true, force: true })
  return { perSecond }
}

export { createPrivateKey, createPublicKey, verify }
