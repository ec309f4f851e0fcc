import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The rooms of node/src (docs/ARCHITECTURE.md) as rules a change cannot
// quietly break: SQL only in the stores, imports only downwards, and the
// interfaces see the region only through the RegionStatus port.
const SRC = fileURLToPath(new URL('../../node/src', import.meta.url))

/** The stores: the only files that may hold SQL or a database handle's query methods. */
const STORES = [
  'services/entry-store.ts',
  'services/search-service.ts',
  'services/regional-catalog.ts',
  'services/blob-index.ts',
  'services/imported-datasets.ts',
  'services/use-case-store.ts'
]

/** Rooms from the top floor down; a file may import from its own room and the ones below. */
const FLOORS: Array<{ room: string; floor: number }> = [
  { room: 'cli', floor: 9 },
  { room: 'cli.ts', floor: 9 },
  { room: 'demo.ts', floor: 8 },
  { room: 'node.ts', floor: 7 },
  { room: 'app.ts', floor: 6 },
  { room: 'web', floor: 5 },
  { room: 'http', floor: 4 },
  { room: 'metrics.ts', floor: 4 },
  { room: 'features', floor: 3 },
  { room: 'region', floor: 3 },
  { room: 'ckan', floor: 2 },
  { room: 'replication', floor: 2 },
  { room: 'services', floor: 1 },
  { room: 'dcat', floor: 0 },
  { room: 'p2p', floor: 0 }
]
/** Everything else (config, blob-store, db, spatial, errors, …) is the ground floor. */
const GROUND = -1

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(tsx?|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []
  )
}

const floorOf = (file: string): number => {
  const rel = relative(SRC, file)
  return FLOORS.find(f => rel === f.room || rel.startsWith(`${f.room}/`))?.floor ?? GROUND
}

/** Relative imports of a source, static and dynamic, resolved to files of node/src. */
function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [
    ...text.matchAll(/\bfrom\s*['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*['"](\.[^'"]+)['"]/g),
    ...text.matchAll(/\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)/g)
  ].map(m => m[1]!)
  return specs.map(s => resolve(dirname(file), s))
}

describe('node/src rooms', () => {
  const files = sources(SRC)

  it('finds the rooms it checks', () => {
    expect(files.length).toBeGreaterThan(80)
    for (const { room } of FLOORS)
      expect(
        files.some(f => relative(SRC, f).startsWith(room)),
        room
      ).toBe(true)
  })

  it('holds SQL only in the stores (and the schema and migrations in db/)', () => {
    const sql = /\bfrom 'drizzle-orm|from 'better-sqlite3'|\.prepare\(|\$client\b|\bsql`/
    const offenders = files
      .map(f => relative(SRC, f))
      .filter(f => !STORES.includes(f) && !f.startsWith('db/'))
      .filter(f => sql.test(readFileSync(join(SRC, f), 'utf8')))
    expect(offenders).toEqual([])
  })

  it('imports only downwards: no room reaches a room above it', () => {
    const upwards: string[] = []
    for (const file of files) {
      for (const target of localImports(file)) {
        if (floorOf(target) > floorOf(file)) upwards.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`)
      }
    }
    expect(upwards).toEqual([])
  })

  it('lets the interfaces see the network only through RegionStatus (they use the region services, not libp2p)', () => {
    const interfaces = files.filter(f => /^(http|web|cli|ckan)\/|^(metrics|app)\.ts$/.test(relative(SRC, f)))
    const reaching = interfaces.filter(f =>
      localImports(f).some(t => /\/(replication\/|p2p\/|region\/(network|file-fetch|mirror))/.test(t))
    )
    expect(reaching.map(f => relative(SRC, f))).toEqual([])
  })
})
