import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/node.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** `npm run demo`, as the README prints it, in the repository. */
async function runDemo(dir: string, base: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'demo'], {
      cwd: REPO,
      env: { ...process.env, SWF_DEMO_DIR: dir, SWF_DEMO_PORT_BASE: String(base), SWF_DEMO_EXIT: '1' }
    })
    let out = ''
    child.stdout.on('data', d => {
      out += String(d)
    })
    child.stderr.on('data', d => {
      out += String(d)
    })
    child.on('error', reject)
    child.on('close', code => {
      resolve({ code, out })
    })
  })
}

describe('npm run demo', () => {
  const dir = join(tempDir('swf-demo-'), 'demo-data')
  // A port range of its own, away from the other tests' ephemeral ports.
  const base = 21_000 + Math.floor(Math.random() * 200) * 10
  afterAll(() => {
    rmSync(join(dir, '..'), { recursive: true, force: true })
  })

  it('starts registry and seven Kommunen as processes, converges, searches, queries, downloads, and stops cleanly', async () => {
    const { code, out } = await runDemo(dir, base)
    // 14 datasets and their files, 4 use cases, 2 take-overs.
    expect(out).toMatch(/Sync: 7\/7 nodes hold all 20 entries/)
    expect(out).toMatch(/Stadt Arnsberg: Radrouten-App Arnsberg · used by Stadt Arnsberg, Stadt Menden \(Sauerland\), Stadt Soest/)
    expect(out).toMatch(/Stadt Soest: Straßenschäden-Erfassung per App · used by Stadt Soest/)
    expect(out).toMatch(/Stadt Menden \(Sauerland\): Verkehrszähler an Hauptstraßen/)
    expect(out).toMatch(/Stadt Olpe: Kita-Platzfinder Olpe/)
    expect(out).toMatch(/Stadt Arnsberg: Radrouten im Stadtgebiet Arnsberg/)
    expect(out).toMatch(/Stadt Soest · strassenzustand\/schadstellen-geojson · Brüderstraße/)
    expect(out).toMatch(/Stadt Soest · strassenzustand\/schadstellen-csv · Brüderstraße/)
    expect(out).toMatch(/sha256 matches the signed entry/)
    expect(out).toMatch(/All processes stopped/)
    expect(code).toBe(0)
  })

  it('reuses the data on a second run', async () => {
    const { code, out } = await runDemo(dir, base)
    expect(out).not.toMatch(/published "/)
    expect(out).not.toMatch(/published the use case/)
    expect(out).toMatch(/Sync: 7\/7 nodes hold all 20 entries/)
    expect(code).toBe(0)
  })
})
