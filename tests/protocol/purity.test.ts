import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// protocol/ is the wire: pure code that node/ and registry/ import. It must
// do no I/O and must not reach back into its users.
const ROOT = fileURLToPath(new URL('../../protocol/src', import.meta.url))
const FORBIDDEN =
  /from '(node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|dns|tls|cluster|readline)'|from '\.\.\/\.\.\/(node|registry)\//

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []
  )
}

describe('protocol/ purity', () => {
  it('imports no I/O module and nothing from node/ or registry/', () => {
    const files = sources(ROOT)
    expect(files.length).toBeGreaterThan(5)
    const offenders = files.filter(f => FORBIDDEN.test(readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })
})
