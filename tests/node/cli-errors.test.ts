import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { expectOneLineError, freePort, REGISTRY_BIN, runCli } from '../helpers/cli.js'
import { tempDir } from '../helpers/node.js'

// Every CLI failure is one line on stderr and an exit code ≠ 0, never a stack
// trace. The CLI sources are grepped for what they throw; the error paths that
// are not operator paths (tests/node/operator-paths.test.ts) run here.

const SRC = fileURLToPath(new URL('../../', import.meta.url))
const CLI_FILES = ['node/src/cli.ts', 'registry/src/cli.ts', ...readdirSync(join(SRC, 'node/src/cli')).map(f => `node/src/cli/${f}`)]
/** Errors the CLIs print as their message alone (commander's InvalidArgumentError is a usage error: help, exit 1). */
const ONE_LINE = new Set([
  'CliError',
  'ConfigError',
  'InvalidArgumentError',
  'RegistrationError',
  'StartError',
  'DataDirLockedError',
  'ValidationError',
  'RegistryConfigError'
])

describe('CLI errors', () => {
  it('the CLI sources throw only errors printed as one line (a plain Error only where it is caught at once)', () => {
    for (const file of CLI_FILES) {
      const text = readFileSync(join(SRC, file), 'utf8')
      for (const m of text.matchAll(/throw new (\w+)\(/g)) {
        if (ONE_LINE.has(m[1]!)) continue
        // A plain Error is allowed only inside a try whose catch turns it into a CliError.
        const before = text.slice(0, m.index)
        const after = text.slice(m.index)
        expect(before.lastIndexOf('try {'), `${file}: throw new ${m[1]}`).toBeGreaterThan(before.lastIndexOf('}\n\n'))
        expect(after.slice(0, 300), `${file}: throw new ${m[1]}`).toMatch(/catch[\s\S]*throw new CliError/)
      }
      // Both CLIs end in a handler that prints the first line of the message, and a stack only with SWF_DEBUG=1.
      if (file.endsWith('cli.ts') && !file.includes('/cli/')) {
        expect(text, file).toMatch(/message\.split\('\\n'\)\[0\]/)
        expect(text, file).toMatch(/process\.env\.SWF_DEBUG === '1'\) console\.error\(err instanceof Error \? err\.stack : err\)/)
        expect(text, file).not.toMatch(/String\(\(err as Error\)\?\.stack/)
      }
    }
  })

  it('a fault of ours (a data directory whose database is not SQLite) is one line too, exit 2', async () => {
    const dir = join(tempDir('swf-cli-errors-'), 'n')
    expect(
      (await runCli(['init', '--kommune', 'Stadt Welver', '--ags', '05974048', '--data-dir', dir, '--http-port', String(await freePort())]))
        .code
    ).toBe(0)
    writeFileSync(join(dir, 'node.sqlite'), 'kein SQLite, sondern Text'.repeat(100))
    const r = await runCli(['start', '--data-dir', dir])
    expectOneLineError(r, /file is not a database \(unexpected; SWF_DEBUG=1 shows where\)/)
    expect(r.code).toBe(2)
  })

  it('every other CLI error path: one line', async () => {
    const dir = tempDir('swf-cli-errors-')
    const nodeDir = join(dir, 'n')
    expect(
      (
        await runCli([
          'init',
          '--kommune',
          'Stadt Ense',
          '--ags',
          '05974012',
          '--data-dir',
          nodeDir,
          '--http-port',
          String(await freePort())
        ])
      ).code
    ).toBe(0)
    writeFileSync(join(dir, 'a.csv'), 'a\n1\n')
    const cases: Array<[string[], RegExp]> = [
      [
        ['init', '--kommune', 'Stadt Ense', '--ags', '05974099', '--data-dir', join(dir, 'x')],
        /--ags 05974099: 05974099 is no Kommune of the Kreis Soest/
      ],
      [['init', '--kommune', 'Stadt Ense', '--ags', '05974012', '--data-dir', nodeDir], /already holds a node/],
      [['datasets', '--data-dir', nodeDir], /no node answers at http:\/\/127\.0\.0\.1:\d+; start it with "swf-node start"/],
      [['status', '--data-dir', join(dir, 'nirgends')], /no configuration/],
      [['join', 'kein-url', '--data-dir', nodeDir], /not a URL: kein-url/],
      [
        ['join', 'http://127.0.0.1:1', '--registry-key', '{"kty":"RSA"}', '--data-dir', nodeDir],
        /--registry-key is not an Ed25519 public JWK/
      ],
      [['join', 'http://127.0.0.1:1', '--data-dir', nodeDir], /no registry answers at http:\/\/127\.0\.0\.1:1/],
      [['rotate-key', '--data-dir', nodeDir], /has not joined a region/],
      [['import', join(dir, 'fehlt.ttl'), '--data-dir', nodeDir], /cannot read/],
      [['fetch', 'x', '--data-dir', nodeDir, '--url', 'http://127.0.0.1:1'], /no node answers/],
      [['delete', 'x', '--data-dir', nodeDir, '--url', 'http://127.0.0.1:1'], /no node answers/],
      [['publish', join(dir, 'a.csv'), '--id', 'x', '--data-dir', nodeDir, '--url', 'http://127.0.0.1:1'], /no node answers/]
    ]
    for (const [args, what] of cases) expectOneLineError(await runCli(args), what)

    const regDir = join(dir, 'registry')
    const holder = createServer()
    const taken = await new Promise<number>(resolve =>
      holder.listen(0, '127.0.0.1', () => {
        resolve((holder.address() as { port: number }).port)
      })
    )
    try {
      expect((await runCli(['init', '--data-dir', regDir, '--port', String(taken)], { bin: REGISTRY_BIN })).code).toBe(0)
      const stopped = join(dir, 'registry-stopped') // initialised, not running
      expect((await runCli(['init', '--data-dir', stopped, '--port', String(await freePort())], { bin: REGISTRY_BIN })).code).toBe(0)
      const regCases: Array<[string[], RegExp]> = [
        [['start', '--data-dir', regDir], new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is in use; set http\\.port in registry\\.json`)],
        [['approve', '05974012', '--data-dir', stopped], /no registry answers/],
        [['list', '--data-dir', join(dir, 'nirgends')], /no readable registry configuration/],
        [['init', '--data-dir', regDir], /already holds a registry/]
      ]
      for (const [args, what] of regCases) expectOneLineError(await runCli(args, { bin: REGISTRY_BIN }), what, 'swf-registry')
    } finally {
      holder.close()
    }
  })
})
