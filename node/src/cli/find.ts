import { createWriteStream, existsSync } from 'node:fs'
import { fileNameOf } from '../file-names.js'
import { rename, rm } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import cliProgress from 'cli-progress'
import type {
  DataQueryAnswer,
  FederatedSearchAnswer,
  NodeAnswerStatus,
  RegionalDataset,
  RegionalPage,
  SearchAnswer,
  StatusAnswer
} from '../http/response-schemas.js'
import { CliError, type NodeClient } from './client.js'

export interface SearchCliOptions {
  theme: string[]
  keyword: string[]
  bbox?: string
  federated?: boolean
  limit?: string
  json?: boolean
}

export async function searchCommand(client: NodeClient, text: string, o: SearchCliOptions): Promise<void> {
  const params = new URLSearchParams()
  if (text !== '') params.set('q', text)
  for (const t of o.theme) params.append('theme', t)
  for (const k of o.keyword) params.append('keyword', k)
  if (o.bbox !== undefined) params.set('bbox', o.bbox)
  if (o.limit !== undefined) params.set('limit', o.limit)
  if (o.federated === true) params.set('scope', 'federated')
  if (o.json === true) {
    console.log(JSON.stringify(await client.request(`/api/v1/search?${params.toString()}`), null, 2))
    return
  }
  const path = `/api/v1/search?${params.toString()}`
  const r = o.federated === true ? await followNodes<FederatedSearchAnswer>(client, path) : await client.request<SearchAnswer>(path)
  if (!('scope' in r)) console.log(`${r.total}${r.totalExact ? '' : '+'} hit(s)`)
  for (const hit of r.items) {
    console.log(`${hit.provenance.kommune ?? hit.provenance.publisher}  ${hit.dataset.id}  ${hit.dataset.title}`)
    console.log(`    swf-node fetch ${hit.provenance.publisher}/${hit.dataset.id}`)
  }
}

/**
 * Reads a federated answer as it streams: prints each node's status the
 * moment it answers (a slow Kommune does not hide the others), returns the
 * merged result.
 */
async function followNodes<T>(client: NodeClient, path: string): Promise<T> {
  let result: T | undefined
  for await (const msg of client.lines<{ type: 'node'; node: NodeAnswerStatus } | ({ type: 'result' } & T)>(path)) {
    if (msg.type === 'node') {
      const n = msg.node
      console.log(
        `${n.kommune ?? n.peerId.slice(-8)}: ${n.status}${n.status === 'answered' ? ` (${n.latencyMs} ms)` : ''}, ${n.hits} hit(s)${n.error === undefined ? '' : ` — ${n.error}`}`
      )
    } else {
      result = msg
    }
  }
  if (result === undefined) throw new CliError('the node ended its answer without a result')
  return result
}

export interface QueryCliOptions {
  bbox?: string
  where: string[]
  dataset?: string
  theme?: string
  limit?: string
  json?: boolean
}

export async function queryCommand(client: NodeClient, o: QueryCliOptions): Promise<void> {
  const params = new URLSearchParams()
  if (o.bbox !== undefined) params.set('bbox', o.bbox)
  for (const w of o.where) params.append('where', w)
  if (o.dataset !== undefined) params.set('datasetId', o.dataset)
  if (o.theme !== undefined) params.set('theme', o.theme)
  if (o.limit !== undefined) params.set('limit', o.limit)
  if (o.json === true) {
    console.log(JSON.stringify(await client.request(`/api/v1/query?${params.toString()}`), null, 2))
    return
  }
  const r = await followNodes<DataQueryAnswer>(client, `/api/v1/query?${params.toString()}`)
  for (const m of r.matches) {
    const what = JSON.stringify(m.row ?? m.feature?.properties ?? {})
    console.log(`${m.origin.kommune ?? m.origin.publisher}  ${m.origin.datasetId}/${m.origin.distributionId}  ${what}`)
  }
  if (r.truncated) console.log('(more matches than the limit)')
}

/**
 * Downloads a distribution of the regional catalog through the node, with a
 * progress bar on stderr for large files. `target` is <publisher>/<dataset>
 * or a dataset id that is unique in the regional catalog.
 */
export interface FetchCliOptions {
  output?: string
  quiet?: boolean
  force?: boolean
}

export async function fetchCommand(client: NodeClient, target: string, distId: string | undefined, o: FetchCliOptions): Promise<string> {
  const view = await resolveDataset(client, target)
  const files = view.dataset.distributions.filter(d => d.sha256 !== undefined)
  const dist = distId === undefined ? files[0] : files.find(d => d.id === distId)
  if (dist === undefined) {
    throw new CliError(
      distId === undefined
        ? `dataset ${view.dataset.id} has no files`
        : `dataset ${view.dataset.id} has no file "${distId}" (files: ${files.map(d => d.id).join(', ')})`
    )
  }
  const out = o.output ?? fileNameOf(dist)
  const refuse = (): void => {
    if (o.force !== true && existsSync(out)) throw new CliError(`${out} exists; -o <file> writes elsewhere, --force overwrites it`)
  }
  refuse()
  const res = await client.raw(`/api/v1/catalog/${view.entry.publisher}/${view.dataset.id}/distributions/${dist.id}/file`)
  if (res.body === null) throw new CliError('the node sent no file')
  const total = Number(res.headers.get('content-length') ?? dist.byteSize)
  const bar =
    o.quiet === true || !process.stderr.isTTY
      ? undefined
      : new cliProgress.SingleBar(
          { stream: process.stderr, format: `${out} [{bar}] {percentage}% | {value}/{total} bytes` },
          cliProgress.Presets.shades_classic
        )
  bar?.start(total, 0)
  let done = 0
  const progress = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length
      bar?.update(done)
      cb(null, chunk)
    }
  })
  const tmp = `${out}.part`
  try {
    await pipeline(Readable.fromWeb(res.body as never), progress, createWriteStream(tmp))
    refuse() // it may have appeared meanwhile
    await rename(tmp, out)
  } catch (err) {
    await rm(tmp, { force: true })
    if (err instanceof CliError) throw err
    throw new CliError(`download failed: ${(err as Error).message}`)
  } finally {
    bar?.stop()
  }
  return out
}

async function resolveDataset(client: NodeClient, target: string): Promise<RegionalDataset> {
  const slash = target.indexOf('/')
  if (slash > 0) return client.request<RegionalDataset>(`/api/v1/catalog/${target.slice(0, slash)}/${target.slice(slash + 1)}`)
  const hits: RegionalDataset[] = []
  let cursor: string | null = null
  do {
    const page: RegionalPage = await client.request<RegionalPage>(
      `/api/v1/catalog?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
    )
    hits.push(...page.items.filter(i => i.dataset.id === target))
    cursor = page.nextCursor
  } while (cursor !== null)
  if (hits.length === 0) throw new CliError(`no dataset "${target}" in the regional catalog`)
  if (hits.length > 1)
    throw new CliError(
      `"${target}" exists at several Kommunen; use <publisher>/${target}: ${hits.map(h => h.publisher.kommune ?? h.entry.publisher).join(', ')}`
    )
  return hits[0]!
}

/**
 * Polls the node until it is connected, no pull is running and no publisher
 * lags: the initial sync is done. Shows the entries announced and received.
 */
export async function waitForSync(client: NodeClient, timeoutMs = 600_000): Promise<void> {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'Abgleich {bar} {value}/{total} Einträge' },
        cliProgress.Presets.shades_classic
      )
    : undefined
  bar?.start(1, 0)
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      const s = await client.request<StatusAnswer>('/api/v1/status')
      if (s.registry === null) throw new CliError('this node is not in a region (no registry): nothing to sync')
      const expected = s.pulls.reduce((n, p) => n + (p.expected ?? 0), 0)
      const received = s.pulls.reduce((n, p) => n + p.received, 0)
      if (expected > 0) {
        bar?.setTotal(expected)
        bar?.update(received)
      }
      if (s.connectedPeers > 0 && s.pulls.length === 0 && s.sync.every(p => p.lag === 0)) return
      if (Date.now() > deadline) throw new CliError(`sync not complete after ${Math.round(timeoutMs / 1000)} s`)
      await new Promise(resolve => setTimeout(resolve, 300))
    }
  } finally {
    bar?.stop()
  }
}
