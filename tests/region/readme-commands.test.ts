import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, stopChild } from '../helpers/cli.js'
import { tempDir } from '../helpers/node.js'
import { waitFor } from '../helpers/region.js'
import { interrupt, npxShim, readmeCommands, REPO, sh, shStart, type ShellResult } from '../helpers/readme.js'

// The README's command blocks, run as printed through bash (an `npx` on PATH
// runs this checkout's CLIs), in the order an operator and a data user meet
// them. Only placeholders are replaced: /srv/swf and /srv/swf-registry by
// temporary directories, example ports and addresses by free loopback ones,
// "…" keys and peer ids by the real ones. systemctl lines stop and start the
// processes this test started. At the end every README command must have run
// here or be named below with the test that runs it.
const RUN_ELSEWHERE: Record<string, string> = {
  'npm test': '.ci/run runs it (this test is part of it)',
  'npm run demo': 'tests/region/demo.test.ts runs it as printed',
  'npm run bench': 'the benchmark: numbers, no pass/fail (docs/PERFORMANCE.md); issue 15',
  'npm run simulate': 'tests/region/simulate.test.ts runs it as printed (8 nodes)',
  ...Object.fromEntries(
    readmeCommands()
      .filter(l => /^(ogrinfo|ogr2ogr) /.test(l))
      .map(l => [l, "tests/region/ogc-api.test.ts runs it as printed, with its node's address, against a region holding that collection"])
  )
}

const GEOJSON = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { schadensart: 'Schlagloch', strasse: 'Brüderstraße' },
      geometry: { type: 'Point', coordinates: [8.105, 51.571] }
    },
    { type: 'Feature', properties: { schadensart: 'Riss', strasse: 'Grandweg' }, geometry: { type: 'Point', coordinates: [8.121, 51.566] } }
  ]
})

// The scenario runs about 30 CLI processes one after another, each about 2 s (tsx compiles the
// sources at start; measured 1.9–2.3 s for --version): about 60 s in all, too close to the 60 s
// default for a suite that shares two cores.
const COMMANDS_ONE_AFTER_ANOTHER_MS = 180_000

describe('the README, command by command', () => {
  const root = tempDir('swf-readme-')
  const bin = npxShim(join(root, 'bin'))
  const srv = join(root, 'srv')
  const children = new Map<string, ChildProcess>()
  const ran = new Set<string>()
  afterAll(async () => {
    for (const c of children.values()) await stopChild(c)
  })

  const all = readmeCommands()
  const subst: Array<[string, () => string]> = []
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    SWF_LOG_FORMAT: 'json',
    // Quick region forming for a test; the defaults are documented in the README.
    SWF_REGISTRY_REFRESH_MS: '500',
    SWF_REDIAL_MS: '500',
    SWF_ANTI_ENTROPY_MS: '1000',
    ...extra
  })
  /** The README line that starts with `prefix` (exactly one). */
  const line = (prefix: string): string => {
    const found = [...new Set(all.filter(l => l.startsWith(prefix)))]
    if (found.length !== 1) throw new Error(`README has ${found.length} command lines starting with "${prefix}"`)
    return found[0]!
  }
  // One pass, longest placeholder first: a replacement is never replaced again.
  const concrete = (l: string): string => {
    const keys = subst.map(([from]) => from).sort((a, b) => b.length - a.length)
    const pattern = new RegExp(keys.map(k => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
    return keys.length === 0 ? l : l.replace(pattern, m => subst.find(([from]) => from === m)![1]())
  }
  const run = async (prefix: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ShellResult> => {
    const l = line(prefix)
    ran.add(l)
    const r = await sh(concrete(l), { cwd: opts.cwd ?? root, env: env(opts.env) })
    if (r.code !== 0) throw new Error(`${l}\nexit ${r.code}\n${r.stderr}${r.stdout}`)
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter(s => s !== '' && !s.startsWith('{'))
    ).toEqual([]) // nothing on stderr but log lines
    return r
  }
  const start = async (name: string, prefix: string, ready: RegExp, extra: NodeJS.ProcessEnv = {}): Promise<void> => {
    const l = line(prefix)
    ran.add(l)
    children.set(name, (await shStart(concrete(l), ready, { cwd: root, env: env(extra) })).child)
  }
  const stop = async (name: string): Promise<void> => {
    const c = children.get(name)
    if (c !== undefined) expect(await stopChild(c)).toBe(0)
    children.delete(name)
  }
  const systemctl = async (l: string, name: string, startPrefix: string, ready: RegExp): Promise<void> => {
    ran.add(l)
    if (l.startsWith('systemctl stop')) await stop(name)
    else await start(name, startPrefix, ready)
  }

  it("npm start serves the demo Kommune and reuses its data; npx finds this checkout's CLIs", async () => {
    const quick = line('npm install && npm start')
    const dataDir = join(root, 'quick-start-data')
    const port = await freePort()
    for (const round of [1, 2]) {
      // `npm install` is what .ci/run does (npm ci); the start half runs here, in the repository.
      const { child, output } = await shStart('npm start', /is running at/, {
        cwd: REPO,
        env: env({ SWF_DATA_DIR: dataDir, SWF_HTTP_PORT: String(port) }),
        group: true
      })
      expect(output()).toMatch(round === 1 ? /Created a demo node/ : /is running at/)
      const datasets = (await sh(`curl -s http://127.0.0.1:${port}/api/v1/datasets`, { cwd: root, env: env() })).stdout
      expect(JSON.parse(datasets).items.length).toBeGreaterThan(0)
      await interrupt(child) // Ctrl-C
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow()
      expect(existsSync(join(dataDir, 'node.lock'))).toBe(false)
    }
    ran.add(quick)
    const npx = await sh('npx swf-node --version', { cwd: REPO, env: { ...process.env } })
    expect(npx.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  it(
    'a Kommune installs, publishes, joins the region; a data user elsewhere finds, queries and downloads',
    async () => {
      const registryPort = await freePort()
      const httpPort = await freePort()
      const p2pPort = await freePort()
      let pinned = ''
      let soestPeer = ''
      subst.push(
        ['/srv/swf-registry', () => join(srv, 'swf-registry')],
        ['/srv/swf', () => join(srv, 'swf')],
        ['--port 8000', () => `--port ${registryPort}`],
        ['--http-port 8080', () => `--http-port ${httpPort}`],
        ['--p2p-port 4001', () => `--p2p-port ${p2pPort}`],
        ['https://registry.suedwestfalen.example', () => `http://127.0.0.1:${registryPort}`],
        ['{"kty":"OKP","crv":"Ed25519","x":"…"}', () => pinned],
        ['/ip4/203.0.113.7/tcp/4001', () => `/ip4/127.0.0.1/tcp/${p2pPort}`],
        ['<publisher peer id>', () => soestPeer],
        ['12D3KooW…', () => soestPeer]
      )

      // The region operator.
      const regInit = await run('npx swf-registry init')
      pinned = regInit.stdout.match(/public key to pin:\s+(\{.*\})/)![1]!
      await start('registry', 'npx swf-registry start', /Registry running/)

      // Kommune IT: install and initialise, publish.
      const init = await run('npx swf-node init')
      soestPeer = init.stdout.match(/peer id:\s+(12D3KooW\w+)/)![1]!
      await start('soest', 'npx swf-node start', /is running at/)
      writeFileSync(join(root, 'strassenschaeden.geojson'), GEOJSON)
      const published = await run('npx swf-node publish strassenschaeden.geojson --title')
      expect(published.stdout).toMatch(/Published strassenschaeden-2026 .*extent 8\.105,51\.566,8\.121,51\.571/)
      expect((await run('npx swf-node datasets')).stdout).toMatch(/strassenschaeden-2026\s+1 file\(s\).*Straßenschäden 2026/)
      expect((await run('npx swf-node status   ')).stdout).toMatch(/region:\s+none \(runs alone/)

      // Join: the key is checked, the announce address registered; the operator approves; restart.
      const joined = await run('npx swf-node join')
      expect(joined.stdout).toMatch(
        new RegExp(`Registered as (05974040|${soestPeer}): pending \\(addresses /ip4/127.0.0.1/tcp/${p2pPort}\\)`)
      )
      expect(joined.stdout).toMatch(/swf-registry approve 12D3KooW/)
      expect(joined.stdout).toMatch(/swf-node start --data-dir /)
      expect((await run('npx swf-registry list')).stdout).toMatch(/Stadt Soest\s+12D3KooW/)
      expect((await run('npx swf-registry approve 05974040')).stdout).toMatch(/is now active/)
      await stop('soest')
      await start('soest', 'npx swf-node start', /is running at/)
      await waitFor(
        async () => /region:\s+active in the region/.test((await run('npx swf-node status --data-dir')).stdout),
        'Soest active in the region',
        20_000,
        250
      )

      // A second Kommune (set up like the first; not a README line) whose node a data user asks.
      const olpe = join(srv, 'olpe')
      const olpeHttp = await freePort()
      const cli = async (args: string): Promise<ShellResult> => {
        const r = await sh(`npx swf-node ${args}`, { cwd: root, env: env() })
        if (r.code !== 0) throw new Error(`${args}: ${r.stderr}`)
        return r
      }
      await cli(`init --kommune "Stadt Olpe" --ags 05966024 --data-dir ${olpe} --http-port ${olpeHttp} --p2p-port ${await freePort()}`)
      await cli(`join http://127.0.0.1:${registryPort} --data-dir ${olpe}`)
      const approved = await sh(`npx swf-registry approve 05966024 --data-dir ${join(srv, 'swf-registry')}`, { cwd: root, env: env() })
      expect(approved.stderr).toBe('')
      children.set('olpe', (await shStart(`npx swf-node start --data-dir ${olpe}`, /is running at/, { cwd: root, env: env() })).child)
      writeFileSync(join(root, 'radwege.csv'), 'name;lat;lon\nBiggesee-Radweg;51.03;7.86\n')
      await cli(`publish radwege.csv --title "Radwege Olpe" --license cc-by/4.0 --theme TRAN --data-dir ${olpe}`)

      // The data user, on Olpe's node (SWF_DATA_DIR), in a directory of their own.
      const user = { cwd: tempDir('swf-readme-user-'), env: { SWF_DATA_DIR: olpe } }
      await waitFor(
        async () => (await run('npx swf-node search "Straßenschäden"', user)).stdout.includes('strassenschaeden-2026'),
        "Soest's dataset found at Olpe by bbox",
        30_000,
        300
      )
      const fed = await run('npx swf-node search radweg --federated', user)
      expect(fed.stdout).toMatch(/Stadt Olpe: local, 1 hit\(s\)/)
      expect(fed.stdout).toMatch(/Stadt Soest: answered \(\d+ ms\), \d+ hit\(s\)/)
      expect(fed.stdout).toMatch(/Stadt Olpe\s+radwege-olpe\s+Radwege Olpe/)
      const query = await run('npx swf-node query --bbox', user)
      expect(query.stdout).toMatch(/Stadt Soest\s+strassenschaeden-2026\/strassenschaeden-geojson\s+\{"schadensart":"Schlagloch"/)
      expect(query.stdout).not.toMatch(/Riss/)
      const fetched = await run('npx swf-node fetch', user)
      expect(fetched.stdout).toMatch(/Saved strassenschaeden\.geojson/) // the original file name
      expect(readFileSync(join(user.cwd, 'strassenschaeden.geojson'), 'utf8')).toBe(GEOJSON)

      // Updating changes only what the command names; then one file is removed.
      const update = await run('npx swf-node publish strassenschaeden.geojson --id')
      expect(update.stdout).toMatch(/Published strassenschaeden-2026/)
      const ds = (await (await fetch(`http://127.0.0.1:${httpPort}/api/v1/datasets/strassenschaeden-2026`)).json()) as any
      expect(ds.dataset).toMatchObject({
        title: 'Straßenschäden 2026',
        themes: ['TRAN'],
        keywords: ['Fahrbahn'],
        license: 'dl-by-de/2.0',
        spatial: { bbox: [8.105, 51.566, 8.121, 51.571] }
      })
      expect(ds.dataset.distributions.map((d: any) => d.id)).toEqual(['strassenschaeden-geojson'])
      expect((await run('npx swf-node delete strassenschaeden-2026')).stdout).toMatch(
        /Removed strassenschaeden-geojson from strassenschaeden-2026/
      )

      // Rotate the node key (node stopped), then the registry key.
      const [stopNode, rotate, startNode] = ['systemctl stop swf-node', 'npx swf-node rotate-key', 'systemctl start swf-node'].map(line)
      await systemctl(stopNode!, 'soest', '', /x/)
      expect((await run('npx swf-node rotate-key')).stdout).toMatch(/New key 12D3KooW\w+ registered/)
      ran.add(rotate!)
      await systemctl(startNode!, 'soest', 'npx swf-node start', /is running at/)
      soestPeer = JSON.parse(readFileSync(join(srv, 'swf', 'node-key.json'), 'utf8')).kid
      const [stopReg, , startReg] = ['systemctl stop swf-registry', 'npx swf-registry rotate-key', 'systemctl start swf-registry'].map(line)
      await systemctl(stopReg!, 'registry', '', /x/)
      expect((await run('npx swf-registry rotate-key')).stdout).toMatch(/Registry key rotated/)
      await systemctl(startReg!, 'registry', 'npx swf-registry start', /Registry running/)

      // Revoke: Soest's node says so within a few refreshes; then the registration is deleted.
      expect((await run('npx swf-registry revoke 05974040')).stdout).toMatch(/is now revoked/)
      await waitFor(
        async () => /region:\s+REVOKED/.test((await run('npx swf-node status --data-dir')).stdout),
        'Soest sees its revocation',
        20_000,
        250
      )
      expect((await run('npx swf-registry delete')).stdout).toMatch(/Stadt Soest \(05974040, 12D3KooW\w+, revoked\) deleted/)
    },
    COMMANDS_ONE_AFTER_ANOTHER_MS
  )

  it('ran every command the README prints (or names the test that does)', () => {
    const missing = all.filter(l => !ran.has(l) && !(l in RUN_ELSEWHERE))
    expect(missing).toEqual([])
    for (const l of Object.keys(RUN_ELSEWHERE)) expect(all).toContain(l)
    expect(existsSync(join(REPO, 'tests/region/demo.test.ts'))).toBe(true)
  })
})
