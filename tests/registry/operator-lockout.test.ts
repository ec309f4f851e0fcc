import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_REGISTRY_HTTP_LIMITS } from '@swf/registry/app'
import { initRegistry, startRegistry, type RunningRegistry } from '@swf/registry/registry'
import { freePort, REGISTRY_BIN, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/node.js'

// Wrong operator tokens from the operator's own address (127.0.0.1, where the
// CLI calls from) once locked the operator's CLI out for ten minutes.
describe('registry: wrong operator tokens do not lock the operator out', () => {
  const dir = join(tempDir('swf-registry-'), 'r')
  let registry: RunningRegistry
  const wrong = async (i: number): Promise<Response> =>
    fetch(`${registry.url}/participants/all`, { headers: { authorization: `Bearer falsch-${i}` } })

  beforeAll(async () => {
    // A fixed port in registry.json: the CLI finds the registry there, as the operator's does.
    await initRegistry(dir, { host: '127.0.0.1', port: await freePort() })
    registry = await startRegistry({ dataDir: dir, env: {}, log: pino({ level: 'silent' }) })
  })
  afterAll(async () => {
    await registry.stop()
    rmSync(join(dir, '..'), { recursive: true, force: true })
  })

  it('after 12 wrong tokens the CLI with the right one still works; wrong tokens stay refused with 429', async () => {
    const max = DEFAULT_REGISTRY_HTTP_LIMITS.maxAuthFailures
    expect(max).toBe(10)
    const statuses: number[] = []
    for (let i = 0; i < max + 2; i++) statuses.push((await wrong(i)).status)
    expect(statuses).toEqual([...Array<number>(max).fill(403), 429, 429])

    const list = await runCli(['list', '--data-dir', dir], { bin: REGISTRY_BIN })
    expect(list.stderr).toBe('')
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('no participants yet')

    // The right token reset nothing: the next wrong one is still refused.
    const after = await wrong(99)
    expect(after.status).toBe(429)
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('locked_out')
  })
})
