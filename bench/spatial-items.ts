import '@swf/protocol/polyfills'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pathToFileURL } from 'node:url'
import {
  api,
  approveAll,
  ensureNode,
  ensureRegistry,
  startNodeProcess,
  startRegistryProcess,
  stopAll
} from '../examples/suedwestfalen/launcher.js'
import { memoryOf, percentile, round } from './measure.js'

// OGC API items of one large collection, on a node in its own process:
// the first page (the file's index is built), pages at random offsets,
// bbox queries, memory while a client pages through all of it, and GDAL
// converting it to a GeoPackage. `npx tsx bench/spatial-items.ts` alone, or
// a phase of `npm run bench` (BENCH_FEATURES, default 100,000).

const run = promisify(execFile)
const sleep = async (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

/** Points over Südwestfalen (lat/lon, decimal commas as German offices write them), with a type and a date. */
function benchCsv(features: number): string {
  const rows = ['id;lat;lon;art;datum']
  for (let i = 0; i < features; i++) {
    const lat = (50.7 + ((i * 7919) % 10_000) / 10_000).toFixed(5).replace('.', ',')
    const lon = (7.4 + ((i * 104_729) % 15_500) / 10_000).toFixed(5).replace('.', ',')
    rows.push(`${i + 1};${lat};${lon};${['Bank', 'Papierkorb', 'Laterne'][i % 3]};2025-${String((i % 12) + 1).padStart(2, '0')}-15`)
  }
  return rows.join('\n') + '\n'
}

const timed = async (url: string): Promise<{ ms: number; body: any }> => {
  const t0 = performance.now()
  const res = await fetch(url, { headers: { accept: 'application/geo+json' } })
  const body = await res.json()
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`)
  return { ms: performance.now() - t0, body }
}
const stats = (ms: number[]): { p50: number; p99: number } => ({ p50: round(percentile(ms, 50), 1), p99: round(percentile(ms, 99), 1) })

export async function spatialItems(base: number, features: number): Promise<Record<string, any>> {
  const dir = mkdtempSync(join(tmpdir(), 'swf-bench-spatial-'))
  mkdirSync(join(dir, 'logs'))
  const registry = await ensureRegistry(join(dir, 'registry'), base)
  registry.process = await startRegistryProcess(registry, join(dir, 'logs', 'registry.log'))
  const node = await ensureNode({
    name: 'Stadt Arnsberg',
    ags: '05958004',
    dataDir: join(dir, 'node'),
    httpPort: base + 1,
    p2pPort: base + 1001,
    registry,
    http: { queriesPerMinute: 1_000_000, queryBurst: 100_000, itemsPerMinute: 1_000_000, itemsBurst: 1_000_000 }
  })
  try {
    node.process = await startNodeProcess(node, join(dir, 'logs', 'node.log'))
    await approveAll(registry, [node])
    const csv = benchCsv(features)
    const csvPath = join(dir, 'punkte.csv')
    writeFileSync(csvPath, csv)
    await api(node, '/api/v1/datasets', {
      method: 'POST',
      body: JSON.stringify({ id: 'punkte', title: 'Punkte', description: 'Benchmark', license: 'dl-by-de/2.0' })
    })
    const up = await fetch(`${node.url}/api/v1/datasets/punkte/distributions/csv?title=punkte.csv`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'text/csv' },
      body: csv
    })
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`)
    const items = `${node.url}/collections/stadt-arnsberg.punkte.csv/items`
    await sleep(2_000)
    const idleRssMb = memoryOf(node.process.pid!).rssMb

    const first = await timed(`${items}?limit=100`)
    if (first.body.numberMatched !== features) throw new Error(`numberMatched ${first.body.numberMatched}, not ${features}`)
    const afterIndexMb = memoryOf(node.process.pid!).rssMb

    const pageMs: number[] = []
    for (let i = 0; i < 200; i++) pageMs.push((await timed(`${items}?limit=100&offset=${(i * 7_919) % (features - 100)}`)).ms)

    const bboxMs: number[] = []
    let bboxHits = 0
    for (let i = 0; i < 200; i++) {
      const w = 7.4 + ((i * 37) % 140) / 100
      const s = 50.7 + ((i * 53) % 90) / 100
      const r = await timed(`${items}?limit=100&bbox=${w},${s},${round(w + 0.1, 2)},${round(s + 0.1, 2)}`)
      bboxMs.push(r.ms)
      bboxHits += r.body.numberReturned as number
    }

    // A client pages through everything (limit 1000, as GDAL's newer versions ask) while RSS is sampled.
    const beforePagingMb = memoryOf(node.process.pid!).rssMb
    let peakRssMb = beforePagingMb
    const sampling = { on: true }
    const sampler = (async () => {
      while (sampling.on) {
        peakRssMb = Math.max(peakRssMb, memoryOf(node.process!.pid!).rssMb)
        await sleep(50)
      }
    })()
    const t0 = performance.now()
    let url: string | undefined = `${items}?limit=1000`
    let read = 0
    while (url !== undefined) {
      const page: { body: any } = await timed(url)
      read += page.body.numberReturned as number
      url = (page.body.links as Array<{ rel: string; href: string }>).find(l => l.rel === 'next')?.href
    }
    const pagingSeconds = (performance.now() - t0) / 1000
    sampling.on = false
    await sampler
    if (read !== features) throw new Error(`paged through ${read} features, not ${features}`)

    let gdal: Record<string, unknown> = { skipped: 'ogr2ogr not installed' }
    try {
      const gpkg = join(dir, 'punkte.gpkg')
      const g0 = performance.now()
      await run('ogr2ogr', ['-f', 'GPKG', '-oo', 'PAGE_SIZE=1000', gpkg, `OAPIF:${node.url}/`, 'stadt-arnsberg.punkte.csv'], {
        maxBuffer: 1 << 26
      })
      const info = (await run('ogrinfo', ['-ro', '-so', gpkg, 'stadt-arnsberg.punkte.csv'])).stdout
      gdal = { seconds: round((performance.now() - g0) / 1000, 1), featureCount: Number(/Feature Count: (\d+)/.exec(info)?.[1] ?? -1) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') gdal = { error: (err as Error).message.split('\n')[0] }
    }
    return {
      features,
      fileMb: round(statSync(csvPath).size / 2 ** 20, 1),
      firstPageMs: round(first.ms, 1),
      pageMs: stats(pageMs),
      bboxMs: { ...stats(bboxMs), meanHits: round(bboxHits / bboxMs.length, 1) },
      pagingAll: { seconds: round(pagingSeconds, 1), featuresPerSecond: Math.round(features / pagingSeconds) },
      rss: {
        idleMb: idleRssMb,
        afterIndexMb,
        beforePagingMb,
        peakWhilePagingMb: peakRssMb,
        growthWhilePagingMb: round(peakRssMb - beforePagingMb, 1)
      },
      gdalToGeoPackage: gdal
    }
  } finally {
    await stopAll([node.process, registry.process])
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await spatialItems(Number(process.env.BENCH_PORT ?? 27_000), Number(process.env.BENCH_FEATURES ?? 100_000))
  console.log(JSON.stringify(result, null, 2))
}
