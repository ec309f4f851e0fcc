import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { initRegistry, startRegistry, type RunningRegistry } from '@swf/registry/registry'
import { tempDir } from './node.js'

export interface TestRegistry {
  registry: RunningRegistry
  token: string
  cleanup: () => Promise<void>
}

/** A registry on a free port in a temporary directory; `limits` go into its registry.json. */
export async function startTestRegistry(limits: Record<string, number> = {}): Promise<TestRegistry> {
  const dir = join(tempDir('swf-registry-'), 'r')
  const token = (await initRegistry(dir, { host: '127.0.0.1', port: 0 })).adminToken
  if (Object.keys(limits).length > 0) {
    const file = join(dir, 'registry.json')
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), limits }))
  }
  const registry = await startRegistry({ dataDir: dir, env: {}, log: pino({ level: 'silent' }) })
  return {
    registry,
    token,
    cleanup: async () => {
      await registry.stop()
      rmSync(join(dir, '..'), { recursive: true, force: true })
    }
  }
}
