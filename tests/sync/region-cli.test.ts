import type { ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, REGISTRY_BIN, runCli, spawnCli, stopChild } from '../helpers/cli.js'
import { tempDir } from '../helpers/node.js'
import { waitFor } from '../helpers/region.js'

// The operator's path, all through the CLIs, each a separate process.
describe('a region set up with swf-registry and swf-node', () => {
  const dir = tempDir('swf-region-cli-')
  const children: ChildProcess[] = []
  afterAll(async () => {
    for (const c of children) await stopChild(c)
  })
  const reg = async (args: string[]) => runCli(args, { bin: REGISTRY_BIN })

  it('init, join, approve, start, publish, sync, revoke', async () => {
    const registryDir = join(dir, 'registry')
    const registryPort = await freePort()
    const init = await reg(['init', '--data-dir', registryDir, '--port', String(registryPort)])
    expect(init.code).toBe(0)
    const pinned = init.stdout.match(/public key to pin:\s+(\{.*\})/)![1]!
    children.push((await spawnCli(['start', '--data-dir', registryDir], /Registry running/, { bin: REGISTRY_BIN })).child)
    const registryUrl = `http://127.0.0.1:${registryPort}`

    const nodes: Array<{ dir: string; http: number; ags: string }> = []
    for (const [name, ags] of [
      ['Stadt Soest', '05974040'],
      ['Stadt Olpe', '05966024']
    ] as const) {
      const nodeDir = join(dir, ags)
      const http = await freePort()
      expect(
        (
          await runCli([
            'init',
            '--kommune',
            name,
            '--ags',
            ags,
            '--data-dir',
            nodeDir,
            '--http-port',
            String(http),
            '--p2p-port',
            String(await freePort())
          ])
        ).code
      ).toBe(0)
      nodes.push({ dir: nodeDir, http, ags })
    }
    // One pins the key it was given, the other fetches it (trust on first use).
    const j1 = await runCli(['join', registryUrl, '--registry-key', pinned, '--data-dir', nodes[0]!.dir])
    expect(j1.stderr).toBe('')
    expect(j1.stdout).toMatch(/Registered as 05974040: pending/)
    const j2 = await runCli(['join', registryUrl, '--data-dir', nodes[1]!.dir])
    expect(j2.stdout).toMatch(/trust on first use/)
    expect(JSON.parse(readFileSync(join(nodes[1]!.dir, 'config.json'), 'utf8')).registry.publicKeyJwk).toEqual(JSON.parse(pinned))

    const list = await reg(['list', '--data-dir', registryDir])
    expect(list.stdout).toMatch(/05966024\s+pending/)
    for (const n of nodes) expect((await reg(['approve', n.ags, '--data-dir', registryDir])).stdout).toMatch(/is now active/)

    for (const n of nodes) {
      children.push(
        (
          await spawnCli(['start', '--data-dir', n.dir], /is running at/, {
            env: { SWF_HTTP_PORT: String(n.http), SWF_REGISTRY_REFRESH_MS: '500', SWF_REDIAL_MS: '500', SWF_ANTI_ENTROPY_MS: '1000' }
          })
        ).child
      )
    }
    const csv = join(dir, 'schaeden.csv')
    writeFileSync(csv, 'id;lat;lon;art\n1;51.57;8.10;Schlagloch\n')
    expect(
      (await runCli(['publish', csv, '--title', 'Straßenschäden Soest', '--license', 'dl-by-de/2.0', '--data-dir', nodes[0]!.dir])).code
    ).toBe(0)
    const olpe = `http://127.0.0.1:${nodes[1]!.http}`
    const found = await waitFor(
      async () => {
        const page = (await (await fetch(`${olpe}/api/v1/catalog`)).json()) as {
          items: Array<{ dataset: { title: string }; publisher: { kommune: string } }>
        }
        return page.items.find(i => i.dataset.title === 'Straßenschäden Soest')
      },
      "Soest's dataset at Olpe",
      30_000,
      200
    )
    expect(found.publisher.kommune).toBe('Stadt Soest')

    // Find and use it from Olpe's node, through the CLI.
    const olpeDir = nodes[1]!.dir
    const synced = await runCli(['status', '--wait-sync', '--data-dir', olpeDir])
    expect(synced.code).toBe(0)
    expect(synced.stdout).toMatch(/Stadt Olpe \(AGS 05966024\)/)
    const found2 = await runCli(['search', 'Straßenschäden', '--data-dir', olpeDir])
    expect(found2.code).toBe(0)
    expect(found2.stdout).toMatch(/Stadt Soest\s+strassenschaeden-soest\s+Straßenschäden Soest/)
    const fed = await runCli(['search', 'strasse', '--federated', '--json', '--data-dir', olpeDir])
    expect(
      JSON.parse(fed.stdout)
        .nodes.map((n: any) => n.status)
        .sort()
    ).toEqual(['answered', 'local'])
    // Without --json the answer streams: each Kommune's status as it answers, then the merged hits.
    const fedText = await runCli(['search', 'strasse', '--federated', '--data-dir', olpeDir])
    expect(fedText.code).toBe(0)
    expect(fedText.stdout).toMatch(
      /^Stadt Olpe: local, 1 hit\(s\)\nStadt Soest: answered \(\d+ ms\), 1 hit\(s\)\nStadt Soest\s+strassenschaeden-soest\s+Straßenschäden Soest\n/
    )
    const q = await runCli(['query', '--where', 'art=Schlagloch', '--bbox', '8,51.5,8.2,51.6', '--data-dir', olpeDir])
    expect(q.code).toBe(0)
    expect(q.stdout).toMatch(/Stadt Soest\s+strassenschaeden-soest\/schaeden-csv\s+\{"id":"1".*"art":"Schlagloch"\}/)
    // Each Kommune's line as it answers (Olpe's own files and Soest's in either order), then the matches.
    expect(q.stdout.split('\n').slice(0, 2).sort()).toEqual([
      expect.stringMatching(/^Stadt Olpe: local, 0 hit\(s\)$/),
      expect.stringMatching(/^Stadt Soest: answered \(\d+ ms\), 1 hit\(s\)$/)
    ])
    const out = join(dir, 'heruntergeladen.csv')
    const fetched = await runCli(['fetch', 'strassenschaeden-soest', '-o', out, '--data-dir', olpeDir])
    expect(fetched.stderr).toBe('')
    expect(fetched.code).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(csv, 'utf8'))
    const missing = await runCli(['fetch', 'gibt-es-nicht', '--data-dir', olpeDir])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/no dataset "gibt-es-nicht"/)

    expect((await reg(['revoke', '05974040', '--data-dir', registryDir])).code).toBe(0)
    await waitFor(
      async () => {
        const page = (await (await fetch(`${olpe}/api/v1/catalog`)).json()) as { items: unknown[] }
        return page.items.length === 0
      },
      'revoked entries gone at Olpe',
      30_000,
      200
    )
  })

  it('fails clearly on bad input', async () => {
    expect((await reg(['approve', '00000000', '--data-dir', join(dir, 'registry')])).stderr).toMatch(/no participant "00000000"/)
    const bad = await runCli(['join', 'not a url', '--data-dir', join(dir, '05966024')])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/not a URL/)
    const badKey = await runCli(['join', 'http://127.0.0.1:1', '--registry-key', '{"kty":"RSA"}', '--data-dir', join(dir, '05966024')])
    expect(badKey.code).not.toBe(0)
    expect(badKey.stderr).toMatch(/not an Ed25519 public JWK/)
    const down = await runCli(['join', 'http://127.0.0.1:1', '--data-dir', join(dir, '05966024')])
    expect(down.code).not.toBe(0)
    expect(down.stderr).toMatch(/no registry answers/)
  })
})
