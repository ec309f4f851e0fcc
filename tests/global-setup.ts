import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Prints, at the end of `npm test`, how much the reliability tests tried.
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'swf-tally-'))
  process.env.SWF_TALLY_DIR = dir
  return () => {
    const sums = new Map<string, number>()
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (line === '') continue
        const { what, n } = JSON.parse(line) as { what: string; n: number }
        sums.set(what, (sums.get(what) ?? 0) + n)
      }
    }
    rmSync(dir, { recursive: true, force: true })
    if (sums.size === 0) return
    const width = Math.max(...[...sums.keys()].map(k => k.length))
    const lines = [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(width)}  ${v.toLocaleString('en')}`)
    console.log(`\nReliability and security — tried in this run:\n${lines.join('\n')}\n`)
  }
}
