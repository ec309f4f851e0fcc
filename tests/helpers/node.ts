import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { initNode } from '@swf/node/init'
import { startNode, type RunningNode } from '@swf/node/node'
import type { NodeConfigInput } from '@swf/node/config'

/** A fetch Response whose JSON tests may index freely. */
export type ApiResponse = Omit<Response, 'json'> & { json: () => Promise<any> }

export interface TestNode {
  node: RunningNode
  dataDir: string
  token: string
  /** fetch against the node's API with the admin token unless auth: false. */
  api: (path: string, init?: RequestInit & { auth?: boolean }) => Promise<ApiResponse>
  restart: () => Promise<void>
  cleanup: () => Promise<void>
}

/** GET /api/v1/search?<qs> anonymously: the JSON answer, or an error naming the status. */
export async function searchOk(t: TestNode, qs: string): Promise<any> {
  const r = await t.api(`/api/v1/search?${qs}`, { auth: false })
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`)
  return r.json()
}

export function tempDir(prefix = 'swf-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export async function startTestNode(config: Partial<NodeConfigInput> = {}): Promise<TestNode> {
  const dataDir = join(tempDir(), 'node')
  const { adminToken } = await initNode(dataDir, {
    kommune: { name: 'Stadt Arnsberg', ags: '05958004' },
    http: { host: '127.0.0.1', port: 0 },
    ...config
  })
  const log = pino({ level: 'silent' })
  const t: TestNode = {
    node: await startNode({ dataDir, env: {}, log }),
    dataDir,
    token: adminToken,
    api: async (path, init = {}) => {
      const headers = new Headers(init.headers)
      if (init.auth !== false && !headers.has('authorization')) headers.set('authorization', `Bearer ${adminToken}`)
      return fetch(`${t.node.url}${path}`, { ...init, headers })
    },
    restart: async () => {
      await t.node.stop()
      t.node = await startNode({ dataDir, env: {}, log })
    },
    cleanup: async () => {
      await t.node.stop()
      rmSync(join(dataDir, '..'), { recursive: true, force: true })
    }
  }
  return t
}

/** Everything a node stores, by content: all table rows and every blob file's hash. */
export function snapshotState(t: TestNode): string {
  const sqlite = t.node.db.$client
  // Every table the schema has (new ones included), the full-text index by its rows, not its shadow tables;
  // not search_log, the index's work queue (drained on restart).
  const names = (
    sqlite
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' AND name NOT LIKE 'dataset_fts_%' AND name != 'search_log' ORDER BY name"
      )
      .all() as Array<{ name: string }>
  ).map(r => r.name)
  const tables = Object.fromEntries(
    names.map(name => [
      name,
      sqlite
        .prepare(`SELECT * FROM "${name}"`)
        .all()
        .map(r => JSON.stringify(r))
        .sort()
    ])
  )
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else files.push(`${p.slice(t.dataDir.length)}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`)
    }
  }
  walk(join(t.dataDir, 'blobs'))
  return JSON.stringify({ tables, files: files.sort() })
}

export const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body)
})
