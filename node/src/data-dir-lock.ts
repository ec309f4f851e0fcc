import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

// One node per data directory: two processes publishing under one key with
// one database break the sequence numbers and re-register the Kommune at the
// second process's address. The lock file names the holder's pid; a lock
// whose process is gone (kill -9, power loss) is taken over.

export const LOCK_FILE = 'node.lock'

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError'
  constructor(
    readonly dataDir: string,
    readonly pid: number
  ) {
    super(
      `data directory ${dataDir} is in use by another swf-node (pid ${pid}); stop that node first (remove ${join(dataDir, LOCK_FILE)} only if no process ${pid} runs a node)`
    )
  }
}

/** Lock files this process holds, so a second start in the same process is refused too. */
const heldHere = new Set<string>()

/** Takes the data directory's lock; returns its release. Throws DataDirLockedError while a live process holds it. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE)
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644)
      try {
        writeSync(fd, `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() })}\n`)
      } finally {
        closeSync(fd)
      }
      heldHere.add(file)
      return () => {
        if (!heldHere.delete(file)) return
        rmSync(file, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err
    }
    const holder = lockHolder(file)
    if (holder !== undefined && (heldHere.has(file) || (holder !== process.pid && isAlive(holder))))
      throw new DataDirLockedError(dataDir, holder)
    rmSync(file, { force: true }) // stale: its process is gone
  }
}

/** The pid holding the data directory, if a live process holds it. */
export function dataDirHolder(dataDir: string): number | undefined {
  const file = join(dataDir, LOCK_FILE)
  const pid = lockHolder(file)
  if (pid === undefined) return undefined
  if (pid === process.pid) return heldHere.has(file) ? pid : undefined
  return isAlive(pid) ? pid : undefined
}

function lockHolder(file: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** A live process that may be a node. After a reboot the pid may belong to another program: on Linux its command line tells. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node')
  } catch {
    return true // no /proc (or not readable): alive is all we know
  }
}
