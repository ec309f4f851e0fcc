import { readdirSync, rmSync } from 'node:fs'
import { join, sep } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { initNode } from '@swf/node/init'
import { startNode } from '@swf/node/node'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, snapshotState, tempDir, type TestNode } from '../helpers/node.js'

// A full disk, made deterministic: the blob store's file system calls fail
// with ENOSPC/EDQUOT while `fault` says so (the node runs in this process),
// and SQLite's max_page_count makes the database "full" (SQLITE_FULL).
const fault = vi.hoisted(() => ({ write: undefined as string | undefined, mkdir: undefined as string | undefined }))

vi.mock('node:fs/promises', async importOriginal => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const full = (code: string, syscall: string): Error =>
    Object.assign(new Error(`${code}: no space left on device, ${syscall}`), { code, syscall, errno: code === 'ENOSPC' ? -28 : -122 })
  const open: typeof fs.open = async (path, flags, mode) => {
    const fh = await fs.open(path, flags, mode)
    const code = fault.write
    if (code === undefined || !String(path).includes(`${sep}blobs${sep}tmp${sep}`)) return fh
    // The disk fills in the middle of the first chunk: half of it lands in the tmp file.
    const write = fh.write.bind(fh) as (b: Uint8Array) => Promise<unknown>
    return Object.assign(fh, {
      write: async (chunk: Uint8Array) => {
        await write(chunk.subarray(0, chunk.byteLength >> 1))
        throw full(code, 'write')
      }
    })
  }
  const mkdir = (async (path: Parameters<typeof fs.mkdir>[0], options?: Parameters<typeof fs.mkdir>[1]) => {
    if (fault.mkdir !== undefined && new RegExp(`\\${sep}blobs\\${sep}[0-9a-f]{2}$`).test(String(path))) throw full(fault.mkdir, 'mkdir')
    return fs.mkdir(path, options)
  }) as typeof fs.mkdir
  return { ...fs, open, mkdir, default: { ...fs, open, mkdir } }
})

interface LogLine {
  level: number
  msg: string
  dataDir?: string
  code?: string
}

describe('a full disk', () => {
  let t: TestNode
  const lines: LogLine[] = []
  const errorLines = (): LogLine[] => lines.filter(l => l.level >= 50)
  const tmpFiles = (): string[] => readdirSync(join(t.dataDir, 'blobs', 'tmp'))
  const sqlite = (): TestNode['node']['db']['$client'] => t.node.db.$client
  const upload = async (body: string): Promise<Response> =>
    t.api('/api/v1/datasets/radwege/distributions/netz', { method: 'PUT', headers: { 'content-type': 'text/csv' }, body })
  /** A request answered 507 naming the data directory, and exactly one error line in the log naming it too. */
  const expectInsufficientStorage = async (request: () => Promise<Response>, code: string): Promise<void> => {
    const before = errorLines().length
    const res = await request()
    expect(res.status).toBe(507)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('insufficient_storage')
    expect(body.error.message).toContain(t.dataDir)
    expect(body.error.message).toContain(code)
    // Logged before the answer was sent: the line is already there.
    expect(errorLines().slice(before)).toEqual([expect.objectContaining({ level: 50, dataDir: t.dataDir, code })])
  }

  beforeAll(async () => {
    const dataDir = join(tempDir(), 'node')
    const { adminToken } = await initNode(dataDir, {
      kommune: { name: 'Stadt Arnsberg', ags: '05958004' },
      http: { host: '127.0.0.1', port: 0 }
    })
    const log = pino(
      { level: 'info' },
      {
        write: (s: string) => {
          lines.push(JSON.parse(s) as LogLine)
        }
      }
    )
    t = {
      node: await startNode({ dataDir, env: {}, log }),
      dataDir,
      token: adminToken,
      api: async (path, init = {}) => {
        const headers = new Headers(init.headers)
        headers.set('authorization', `Bearer ${adminToken}`)
        return fetch(`${t.node.url}${path}`, { ...init, headers })
      },
      restart: async () => {},
      cleanup: async () => {
        await t.node.stop()
        rmSync(join(dataDir, '..'), { recursive: true, force: true })
      }
    }
    // Long enough that each new entry of it needs pages the database does not have yet (SQLITE_FULL below).
    const long = sampleDataset({ id: 'radwege', description: 'Radwege mit Belag und Steigung. '.repeat(300) })
    expect((await t.api('/api/v1/datasets', json(long))).status).toBe(201)
  })
  afterAll(async () => {
    await t.cleanup()
  })
  beforeEach(() => {
    fault.write = undefined
    fault.mkdir = undefined
  })

  it.each(['ENOSPC', 'EDQUOT'])('answers an upload that fills the disk (%s) with 507, leaving no tmp file and no entry', async code => {
    const before = snapshotState(t)
    fault.write = code
    await expectInsufficientStorage(() => upload('a;b\n'.repeat(50_000)), code)
    expect(tmpFiles()).toEqual([])
    expect(snapshotState(t)).toBe(before)
  })

  it('removes the tmp file when the disk fills as the file is moved into place', async () => {
    const before = snapshotState(t)
    fault.mkdir = 'ENOSPC'
    await expectInsufficientStorage(() => upload('x;y\n1;2\n'), 'ENOSPC')
    expect(tmpFiles()).toEqual([])
    expect(snapshotState(t)).toBe(before)
  })

  it('answers a publish that finds the database full (SQLITE_FULL) with 507 and stores nothing; it works once there is space', async () => {
    const db = sqlite()
    db.exec('VACUUM') // no free pages left inside the file: the next insert must grow it
    const pages = db.pragma('page_count', { simple: true }) as number
    const limit = db.pragma('max_page_count', { simple: true }) as number
    const before = snapshotState(t)
    db.pragma(`max_page_count = ${pages}`)
    try {
      const parken = sampleDataset({ id: 'parken', description: 'Parkplätze und Parkhäuser. '.repeat(300) })
      await expectInsufficientStorage(() => t.api('/api/v1/datasets', json(parken)), 'SQLITE_FULL')
      // An upload: the file is written, its entry is not.
      await expectInsufficientStorage(() => upload('p;q\n3;4\n'), 'SQLITE_FULL')
      expect(tmpFiles()).toEqual([])
      const tables = (s: string): unknown => (JSON.parse(s) as { tables: unknown }).tables
      expect(tables(snapshotState(t))).toEqual(tables(before))
    } finally {
      db.pragma(`max_page_count = ${limit}`)
    }
    const res = await t.api('/api/v1/datasets', json(sampleDataset({ id: 'parken' })))
    expect(res.status).toBe(201)
    const file = await upload('p;q\n3;4\n')
    expect(file.status).toBe(201)
    expect((await t.api('/api/v1/datasets/radwege/distributions/netz/file')).status).toBe(200)
  })
})
