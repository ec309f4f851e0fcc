import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DataDirLockedError, lockDataDir, LOCK_FILE } from '@swf/node/data-dir-lock'
import { tempDir } from '../helpers/node.js'

describe('data directory lock', () => {
  it('refuses a second holder in the same process, naming the pid; release frees it', () => {
    const dir = tempDir('swf-lock-')
    const release = lockDataDir(dir)
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError)
    expect(() => lockDataDir(dir)).toThrow(`(pid ${process.pid})`)
    release()
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
    lockDataDir(dir)()
  })

  it('takes over a lock whose process is gone, or whose pid now belongs to another program (after a reboot)', () => {
    const dir = tempDir('swf-lock-')
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: '2026-01-01T00:00:00Z' }))
    lockDataDir(dir)()
    const other = spawn('sleep', ['30'])
    try {
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: other.pid, startedAt: '2026-01-01T00:00:00Z' }))
      const release = lockDataDir(dir)
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid)
      release()
    } finally {
      other.kill()
    }
  })
})
