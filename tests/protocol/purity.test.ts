import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// protocol/ is the wire: pure code that node/ and registry/ import. It must
// do no I/O, must not reach back into its users, and may use only the
// packages its package.json declares (a second implementation reads that list).
const PACKAGE = fileURLToPath(new URL('../../protocol', import.meta.url))
const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** The only Node built-in the wire needs: hashing. */
const BUILTINS = new Set(['node:crypto'])

function sources(dir: string, ext = /\.tsx?$/): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? (e.name === 'node_modules' ? [] : sources(join(dir, e.name), ext)) : ext.test(e.name) ? [join(dir, e.name)] : []
  )
}

/** Every module a source names: static imports and re-exports, side-effect imports, import() and require(). */
function specifiersOf(text: string): string[] {
  const found = [
    ...text.matchAll(/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g),
    ...text.matchAll(/\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)
  ]
  return found.map(m => m[1]!)
}

/** The package a bare specifier names: `@scope/name` or `name`. */
const packageOf = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/')

/** Any import() whose module is not a string literal: the check above could not see it. */
const computedImport = /\bimport\s*\(\s*(?!['"`][^'"`$]*['"`]\s*\))/

describe('protocol/ purity', () => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
    name: string
    dependencies?: Record<string, string>
  }
  const declared = new Set(Object.keys(manifest.dependencies ?? {}))

  it('finds every kind of import, so the checks below see them all', () => {
    const text = [
      "import { a } from 'zod'",
      "export * from './codec.js'",
      "import 'node:fs'",
      "const m = await import('node:net')",
      "const r = require('http')",
      'import type { T } from "@libp2p/interface"'
    ].join('\n')
    expect(specifiersOf(text).sort()).toEqual(['./codec.js', '@libp2p/interface', 'http', 'node:fs', 'node:net', 'zod'])
    expect(computedImport.test('await import(name)')).toBe(true)
    expect(computedImport.test("await import('zod')")).toBe(false)
  })

  it('imports only the packages protocol/package.json declares, one built-in (hashing), and nothing of node/ or registry/', () => {
    const files = sources(join(PACKAGE, 'src'))
    expect(files.length).toBeGreaterThan(5)
    const offenders: string[] = []
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      if (computedImport.test(text)) offenders.push(`${file}: import() of a computed name`)
      for (const spec of specifiersOf(text)) {
        if (spec.startsWith('.')) {
          // Relative: only inside protocol/.
          if (!join(file, '..', spec).startsWith(join(PACKAGE, 'src'))) offenders.push(`${file}: ${spec} leaves protocol/`)
        } else if (spec.startsWith('node:') || builtinModules.includes(spec)) {
          if (!BUILTINS.has(spec.startsWith('node:') ? spec : `node:${spec}`)) offenders.push(`${file}: ${spec} (a Node built-in)`)
        } else if (!declared.has(packageOf(spec))) {
          offenders.push(`${file}: ${spec} is not in protocol/package.json`)
        }
      }
    }
    expect(offenders).toEqual([])
  })

  it('depends on no package of this repository, and node/ and registry/ reach it by its name only', () => {
    expect([...declared].filter(d => d.startsWith('@swf/'))).toEqual([])
    const crossing: string[] = []
    for (const pkg of ['node', 'registry', 'protocol']) {
      for (const file of sources(join(REPO, pkg, 'src'), /\.(tsx?|js)$/)) {
        for (const spec of specifiersOf(readFileSync(file, 'utf8'))) {
          if (spec.startsWith('.') && !join(file, '..', spec).startsWith(join(REPO, pkg, 'src'))) crossing.push(`${file}: ${spec}`)
        }
      }
    }
    expect(crossing).toEqual([])
  })
})
