import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateIdentityKey, publicJwkOf } from '@swf/protocol'
import { parseConfig } from '@swf/node/config'
import { expectOneLineError, freePort, runCli, spawnCli, stopChild, type CliResult } from '../helpers/cli.js'
import { tempDir } from '../helpers/node.js'
import { waitFor } from '../helpers/region.js'
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js'
import { tally } from '../helpers/tally.js'

// What a Kommune's IT meets outside the README's happy path (issue 12): a
// wrong registry key, a second node on one data directory, taken ports,
// re-publishing, bad input. Every node is its own process, started by the CLI.

describe('operator paths', () => {
  const dir = tempDir('swf-operator-')
  const children: ChildProcess[] = []
  let reg: TestRegistry
  let registryUrl: string
  const allParticipants = async (): Promise<any[]> =>
    (await fetch(`${registryUrl}/participants/all`, { headers: { authorization: `Bearer ${reg.token}` } })).json() as Promise<any[]>
  const node = async (name: string, ags: string): Promise<{ dir: string; http: number; p2p: number }> => {
    const d = join(dir, name)
    const http = await freePort()
    const p2p = await freePort()
    const r = await runCli([
      'init',
      '--kommune',
      name,
      '--ags',
      ags,
      '--data-dir',
      d,
      '--http-port',
      String(http),
      '--p2p-port',
      String(p2p)
    ])
    expect(r.stderr).toBe('')
    return { dir: d, http, p2p }
  }
  const start = async (d: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> => {
    const { child } = await spawnCli(['start', '--data-dir', d], /is running at/, {
      env: { SWF_REGISTRY_REFRESH_MS: '300', SWF_REDIAL_MS: '300', ...env }
    })
    children.push(child)
    return child
  }

  beforeAll(async () => {
    reg = await startTestRegistry()
    registryUrl = reg.registry.url
  })
  afterAll(async () => {
    for (const c of children) await stopChild(c)
    await reg.cleanup()
  })

  it("join refuses a registry key that is not the registry's: one line, nothing registered, nothing pinned", async () => {
    const n = await node('Stadt Menden', '05962040')
    const before = readFileSync(join(n.dir, 'config.json'), 'utf8')
    const wrong = JSON.stringify(publicJwkOf(await generateIdentityKey()))
    const r = await runCli(['join', registryUrl, '--registry-key', wrong, '--announce', `/ip4/127.0.0.1/tcp/${n.p2p}`, '--data-dir', n.dir])
    expectOneLineError(r, /--registry-key is not the key of the registry at .*\(nothing was registered\)/)
    expect(readFileSync(join(n.dir, 'config.json'), 'utf8')).toBe(before)
    expect(await allParticipants()).toEqual([])
    expectOneLineError(await runCli(['join', 'http://127.0.0.1:1', '--data-dir', n.dir]), /no registry answers at http:\/\/127\.0\.0\.1:1/)
  })

  it('status says pending (and what the operator runs), then active; a node pinned to another key says cut off, and why', async () => {
    const n = await node('Stadt Balve', '05962008')
    const joined = await runCli(['join', registryUrl, '--announce', `/ip4/127.0.0.1/tcp/${n.p2p}`, '--data-dir', n.dir])
    expect(joined.stderr).toBe('')
    expect(joined.stdout).toMatch(`(Re)start the node to connect: swf-node start --data-dir ${n.dir}`)
    await start(n.dir)
    const peerId = JSON.parse(readFileSync(join(n.dir, 'node-key.json'), 'utf8')).kid
    const pending = await waitFor(
      async () => {
        const s = await runCli(['status', '--data-dir', n.dir])
        return /region:\s+not yet in the region/.test(s.stdout) ? s.stdout : undefined
      },
      'status pending',
      20_000,
      300
    )
    expect(pending).toContain(`waiting for the region operator: swf-registry approve ${peerId}`)
    expect(pending).toMatch(/peers:\s+0 connected/)
    await fetch(`${registryUrl}/participants/${peerId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${reg.token}` } })
    await waitFor(
      async () => /region:\s+active in the region/.test((await runCli(['status', '--data-dir', n.dir])).stdout),
      'status active',
      20_000,
      300
    )

    // Pinned to a key the registry does not sign with (edited by hand): cut off, and the status says why.
    const cut = await node('Gemeinde Herscheid', '05962020')
    const config = JSON.parse(readFileSync(join(cut.dir, 'config.json'), 'utf8'))
    config.registry = { url: registryUrl, publicKeyJwk: publicJwkOf(await generateIdentityKey()) }
    writeFileSync(join(cut.dir, 'config.json'), JSON.stringify(config))
    await start(cut.dir)
    const s = await runCli(['status', '--data-dir', cut.dir])
    expect(s.stdout).toMatch(
      /region:\s+CUT OFF from the region — no participant list: participant list from registry refused: signed by 12D3KooW\w+, not the pinned registry key/
    )
  })

  it("a second node on one data directory is refused, naming the holder's pid; a lock left by kill -9 is taken over", async () => {
    const n = await node('Stadt Werdohl', '05962060')
    const first = await start(n.dir)
    const second = await runCli(['start', '--data-dir', n.dir], {
      env: { SWF_HTTP_PORT: String(await freePort()), SWF_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${await freePort()}` }
    })
    expectOneLineError(second, new RegExp(`data directory .*Stadt Werdohl is in use by another swf-node \\(pid ${first.pid}\\)`))
    expect((await fetch(`http://127.0.0.1:${n.http}/health`)).status).toBe(200)
    expectOneLineError(await runCli(['rotate-key', '--data-dir', n.dir]), /this node has not joined a region|the node is running/)

    first.kill('SIGKILL')
    await new Promise(resolve => first.once('exit', resolve))
    expect(existsSync(join(n.dir, 'node.lock'))).toBe(true)
    const again = await start(n.dir)
    expect(JSON.parse(readFileSync(join(n.dir, 'node.lock'), 'utf8')).pid).toBe(again.pid)
  })

  it('a taken HTTP or P2P port is one line naming the setting, exit 1', async () => {
    const holder: Server = createServer()
    const taken = await new Promise<number>(resolve =>
      holder.listen(0, '127.0.0.1', () => {
        resolve((holder.address() as { port: number }).port)
      })
    )
    try {
      const n = await node('Stadt Altena', '05962004')
      expectOneLineError(
        await runCli(['start', '--data-dir', n.dir], { env: { SWF_HTTP_PORT: String(taken) } }),
        new RegExp(`HTTP port ${taken} on 127\\.0\\.0\\.1 is in use; set http\\.port .* or SWF_HTTP_PORT`)
      )
      // libp2p listens only in a region: join first.
      expect((await runCli(['join', registryUrl, '--data-dir', n.dir])).code).toBe(0)
      const p2p = await runCli(['start', '--data-dir', n.dir], { env: { SWF_P2P_LISTEN: `/ip4/127.0.0.1/tcp/${taken}` } })
      expectOneLineError(
        p2p,
        new RegExp(`P2P port ${taken} on 127\\.0\\.0\\.1 is in use .*set p2p\\.listen in config\\.json or SWF_P2P_LISTEN`)
      )
      expect(p2p.code).toBe(1)
      expect(existsSync(join(n.dir, 'node.lock'))).toBe(false) // a failed start leaves no lock
    } finally {
      holder.close()
    }
  })

  describe('publish, update, delete, fetch through the CLI', () => {
    let n: { dir: string; http: number; p2p: number }
    const api = async (path: string, init: RequestInit = {}): Promise<any> => {
      const token = readFileSync(join(n.dir, 'admin-token'), 'utf8').trim()
      const res = await fetch(`http://127.0.0.1:${n.http}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) }
      })
      return { status: res.status, body: await res.json() }
    }
    const cli = async (...args: string[]): Promise<CliResult> => runCli([...args, '--data-dir', n.dir], { cwd: dir })
    beforeAll(async () => {
      n = await node('Stadt Olpe', '05966024')
      await start(n.dir)
    })

    it('derives the extent from a CSV, changes only what an update names, and needs --replace or --add for another file', async () => {
      writeFileSync(join(dir, 'messstellen.csv'), 'name;breite;laenge\nA;51,02;7,83\nB;51,04;7,86\n')
      const created = await cli(
        'publish',
        'messstellen.csv',
        '--title',
        'Messstellen Olpe',
        '--license',
        'cc-by/4.0',
        '--theme',
        'ENVI',
        '--keyword',
        'Wasser',
        '--description',
        'Pegel an der Bigge',
        '--ags',
        '05966024'
      )
      expect(created.stderr).toBe('')
      expect(created.stdout).toMatch(/extent 7\.83,51\.02,7\.86,51\.04/)
      const id = 'messstellen-olpe'

      // An update names the licence only: the rest stays.
      expect((await cli('publish', 'messstellen.csv', '--id', id, '--license', 'dl-by-de/2.0')).code).toBe(0)
      let ds = (await api(`/api/v1/datasets/${id}`)).body.dataset
      expect(ds).toMatchObject({
        title: 'Messstellen Olpe',
        description: 'Pegel an der Bigge',
        themes: ['ENVI'],
        keywords: ['Wasser'],
        license: 'dl-by-de/2.0',
        spatial: { ags: '05966024', bbox: [7.83, 51.02, 7.86, 51.04] }
      })
      expect(ds.distributions).toHaveLength(1)

      writeFileSync(join(dir, 'messstellen-2026.csv'), 'name;breite;laenge\nC;51,05;7,90\n')
      const seq = (await api(`/api/v1/datasets/${id}`)).body.entry.seq
      expectOneLineError(
        await cli('publish', 'messstellen-2026.csv', '--id', id),
        /dataset messstellen-olpe already has messstellen-csv \(messstellen\.csv\); --replace messstellen-csv puts this file in its place, --add adds it as another file/
      )
      expect((await api(`/api/v1/datasets/${id}`)).body.entry.seq).toBe(seq) // nothing published
      expect((await cli('publish', 'messstellen-2026.csv', '--id', id, '--add')).code).toBe(0)
      ds = (await api(`/api/v1/datasets/${id}`)).body.dataset
      expect(ds.distributions.map((d: any) => d.id)).toEqual(['messstellen-csv', 'messstellen-2026-csv'])
      expect(ds.spatial.bbox).toEqual([7.83, 51.02, 7.86, 51.04]) // not shrunk to one of two files
      expect(
        (await cli('publish', 'messstellen-2026.csv', '--id', id, '--replace', 'messstellen-csv', '--bbox', '7.8,51.0,7.95,51.1')).code
      ).toBe(0)
      ds = (await api(`/api/v1/datasets/${id}`)).body.dataset
      expect(ds.distributions.map((d: any) => [d.id, d.title])).toEqual([
        ['messstellen-csv', 'messstellen-2026.csv'],
        ['messstellen-2026-csv', 'messstellen-2026.csv']
      ])
      expect(ds.spatial.bbox).toEqual([7.8, 51.0, 7.95, 51.1])
      expectOneLineError(
        await cli('publish', 'messstellen.csv', '--id', id, '--replace', 'gibt-es-nicht'),
        /--replace gibt-es-nicht: dataset messstellen-olpe has no such file \(its files: messstellen-csv, messstellen-2026-csv\)/
      )
    })

    it('refuses empty files, swapped or foreign extents, unknown AGS — naming the field; the API lists every problem at once', async () => {
      writeFileSync(join(dir, 'leer.csv'), '')
      expectOneLineError(
        await cli('publish', 'leer.csv', '--title', 'Leer', '--license', 'cc-zero'),
        /leer\.csv is empty \(0 bytes\): nothing to publish/
      )
      writeFileSync(join(dir, 'punkte.csv'), 'name;lat;lon\nA;51.02;7.83\n')
      expectOneLineError(
        await cli('publish', 'punkte.csv', '--title', 'Punkte', '--license', 'cc-zero', '--bbox', '51.0,7.8,51.1,7.9'),
        /400 validation_failed: latitude and longitude look swapped: bbox is \[minLon, minLat, maxLon, maxLat\], e\.g\. \[7\.8, 51, 7\.9, 51\.1\] \(field "spatial\.bbox"\)/
      )
      expectOneLineError(
        await cli('publish', 'punkte.csv', '--title', 'Punkte', '--license', 'cc-zero', '--bbox', '2.3,48.8,2.4,48.9'),
        /lies outside Germany.*spatial\.bbox/
      )
      expectOneLineError(
        await cli('publish', 'punkte.csv', '--title', 'Punkte', '--license', 'cc-zero', '--bbox', 'Olpe'),
        /--bbox must be minLon,minLat,maxLon,maxLat/
      )
      expectOneLineError(
        await cli('publish', 'punkte.csv', '--title', 'Punkte', '--license', 'cc-zero', '--ags', '05966099'),
        /05966099 is no Kommune of the Kreis Olpe \(its keys: 05966004 Attendorn.*\(field "spatial\.ags"\)/
      )
      expectOneLineError(
        await cli('publish', 'punkte.csv', '--title', 'Punkte', '--license', 'cc-zero', '--ags', '99123456'),
        /not a German AGS: the first two digits name the Land/
      )
      expect((await api('/api/v1/datasets?limit=500')).body.items.map((i: any) => i.dataset.id)).not.toContain('punkte')

      const none = await api('/api/v1/datasets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'ohne Titel', license: 'cc-zero' })
      })
      expect(none.status).toBe(400)
      expect(none.body.error).toMatchObject({ code: 'validation_failed', field: 'title', message: 'required' })
      const many = await api('/api/v1/datasets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Vieles falsch', license: 'beerware', spatial: { bbox: [51.0, 7.8, 51.1, 7.9], ags: '123' } })
      })
      expect(many.status).toBe(400)
      expect(many.body.error.errors.map((e: any) => e.field).sort()).toEqual(['description', 'license', 'spatial.ags', 'spatial.bbox'])
      expect(many.body.error.errors.find((e: any) => e.field === 'description').message).toBe('required')

      const ok = await api('/api/v1/datasets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'leer-test', title: 'Leer', description: 'x', license: 'cc-zero' })
      })
      expect(ok.status).toBe(201)
      const empty = await api('/api/v1/datasets/leer-test/distributions/leer-csv', {
        method: 'PUT',
        headers: { 'content-type': 'text/csv' },
        body: ''
      })
      expect(empty.status).toBe(400)
      expect(empty.body.error).toMatchObject({ code: 'validation_failed', field: 'file' })
      expect((await api('/api/v1/datasets/leer-test')).body.dataset.distributions).toEqual([])
    })

    it('fetch saves under the original file name and never overwrites without --force; delete removes', async () => {
      const target = `messstellen-olpe`
      const out = tempDir('swf-fetch-')
      const first = await runCli(['fetch', target, '--data-dir', n.dir], { cwd: out })
      expect(first.stderr).toBe('')
      expect(first.stdout).toMatch(/Saved messstellen-2026\.csv/)
      writeFileSync(join(out, 'messstellen-2026.csv'), 'meins')
      expectOneLineError(
        await runCli(['fetch', target, '--data-dir', n.dir], { cwd: out }),
        /messstellen-2026\.csv exists; -o <file> writes elsewhere, --force overwrites it/
      )
      expect(readFileSync(join(out, 'messstellen-2026.csv'), 'utf8')).toBe('meins')
      expect((await runCli(['fetch', target, '--force', '--data-dir', n.dir], { cwd: out })).code).toBe(0)
      expect(readFileSync(join(out, 'messstellen-2026.csv'), 'utf8')).toBe('name;breite;laenge\nC;51,05;7,90\n')
      // The download names the file too (RFC 5987 for names beyond ASCII).
      const res = await fetch(`http://127.0.0.1:${n.http}/api/v1/datasets/${target}/distributions/messstellen-csv/file`)
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="messstellen-2026.csv"')
      await res.body?.cancel()

      expect((await cli('delete', target)).stdout).toMatch(/Deleted messstellen-olpe \(entry \d+\); every node drops it/)
      expectOneLineError(await cli('delete', target), /404 not_found/)
    })
  })

  it('with the default list refresh a revoked node learns it from its next poll of the list and says so (the old 60 s poll took 44 s)', async () => {
    const n = await node('Stadt Neuenrade', '05962048')
    expect((await runCli(['join', registryUrl, '--data-dir', n.dir])).code).toBe(0)
    const peerId = JSON.parse(readFileSync(join(n.dir, 'node-key.json'), 'utf8')).kid
    await fetch(`${registryUrl}/participants/${peerId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${reg.token}` } })
    const { child } = await spawnCli(['start', '--data-dir', n.dir], /is running at/) // defaults: no SWF_REGISTRY_REFRESH_MS
    children.push(child)
    await waitFor(async () => /region:\s+active/.test((await runCli(['status', '--data-dir', n.dir])).stdout), 'active', 30_000, 500)
    const status = async (): Promise<any> => (await fetch(`http://127.0.0.1:${n.http}/api/v1/status`)).json()
    const before = await status()
    const revokedAt = Date.now()
    await fetch(`${registryUrl}/participants/${peerId}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${reg.token}` } })
    // The default poll is every 10 s (the next test checks that default); the wait allows for a slow machine and is not what is tested.
    await waitFor(async () => /region:\s+REVOKED/.test((await runCli(['status', '--data-dir', n.dir])).stdout), 'revoked', 30_000, 250)
    // What is tested: the same running node fetched the list again after the revocation (after start-up only
    // the periodic poll fetches it), and that list says so.
    const after = await status()
    expect(after.startedAt).toBe(before.startedAt)
    expect(after.registry.listSerial).toBeGreaterThan(before.registry.listSerial)
    expect(Date.parse(after.registry.lastFetchAt)).toBeGreaterThanOrEqual(revokedAt)
    expect(after.registry.membership.status).toBe('revoked')
    tally('seconds from a revocation to the revoked node saying so (default refresh)', Math.round((Date.now() - revokedAt) / 100) / 10)
  })

  it('JSON log lines carry each key once (part was written twice)', async () => {
    // Two approved participants, one never started: the other's dialer (a component under libp2p)
    // logs its failed dials, lines that carried part twice.
    const n = await node('Stadt Hemer', '05962016')
    const gone = await node('Stadt Iserlohn', '05962024')
    for (const d of [n, gone]) {
      expect((await runCli(['join', registryUrl, '--data-dir', d.dir])).code).toBe(0)
      const peerId = JSON.parse(readFileSync(join(d.dir, 'node-key.json'), 'utf8')).kid
      expect(
        (
          await fetch(`${registryUrl}/participants/${peerId}/approve`, {
            method: 'POST',
            headers: { authorization: `Bearer ${reg.token}` }
          })
        ).status
      ).toBe(200)
    }
    const { child, output } = await spawnCli(['start', '--data-dir', n.dir], /"part":"dialer"/, {
      env: { SWF_LOG_FORMAT: 'json', SWF_LOG_LEVEL: 'debug', SWF_REDIAL_MS: '300' }
    })
    children.push(child)
    const lines = output()
      .split('\n')
      .filter(l => l.startsWith('{'))
    expect(lines.some(l => l.includes('"part":"p2p"'))).toBe(true)
    for (const l of lines) expect(l.match(/"part":/g)?.length ?? 0, l).toBeLessThanOrEqual(1)
  })

  it('the participant list is polled every 10 s by default, conditionally: an unchanged list is a 304', async () => {
    expect(parseConfig({ kommune: { name: 'X', ags: '05966024' } }).sync.registryRefreshMs).toBe(10_000)
    const first = await fetch(`${registryUrl}/participants`)
    const etag = first.headers.get('etag')
    expect(etag).toMatch(/^"\d+-[0-9a-f]{16}"$/)
    await first.text()
    const again = await fetch(`${registryUrl}/participants`, { headers: { 'if-none-match': etag! } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })
})
