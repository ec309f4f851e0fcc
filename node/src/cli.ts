import '@swf/protocol/polyfills'
import { resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, tokenPath } from './config.js'
import { NodeClient, CliError, type ClientOptions } from './cli/client.js'
import {
  fetchCommand,
  queryCommand,
  searchCommand,
  waitForSync,
  type FetchCliOptions,
  type QueryCliOptions,
  type SearchCliOptions
} from './cli/find.js'
import { importCatalog } from './cli/import.js'
import { joinRegion, type JoinOptions } from './cli/join.js'
import { rotateNodeKey } from './cli/rotate-key.js'
import { publishFile, type PublishOptions } from './cli/publish.js'
import type { OwnDataset, OwnPage, PublishAnswer, StatusAnswer } from './http/response-schemas.js'
import { initNode } from './init.js'
import { RegistrationError } from './region/registration.js'
import { VERSION } from './version.js'
import { statusLines } from './cli/status.js'
import { DataDirLockedError } from './data-dir-lock.js'
import { StartError, ValidationError } from './errors.js'
import { regionalAgsProblem } from './spatial/suedwestfalen.js'
import { agsSchema } from '@swf/protocol'

const DEFAULT_DATA_DIR = process.env.SWF_DATA_DIR ?? './data'

const port = (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('a port number 0–65535')
  return Number(v)
}
const collect = (v: string, prev: string[]): string[] => [...prev, v]
const dataDirOption = (): Option =>
  new Option('-d, --data-dir <dir>', "the node's data directory (env SWF_DATA_DIR)").default(DEFAULT_DATA_DIR)
const urlOption = (): Option => new Option('--url <url>', "node API URL (default: from the data directory's config)")

interface InitCliOptions {
  kommune: string
  ags: string
  dataDir: string
  httpHost: string
  httpPort: number
  p2pHost: string
  p2pPort: number
}

const program = new Command('swf-node')
  .description("A Kommune's node in the Südwestfalen data space")
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({
    outputError: (str, write) => {
      write(str)
    }
  })

program
  .command('init')
  .description('create a node: config, Ed25519 identity key and admin token')
  .requiredOption('--kommune <name>', 'name of the Kommune, e.g. "Stadt Soest"')
  .requiredOption('--ags <ags>', 'Amtlicher Gemeindeschlüssel (8 digits), e.g. 05974040')
  .addOption(dataDirOption())
  .option('--http-host <host>', 'HTTP listen address', '127.0.0.1')
  .option('--http-port <port>', 'HTTP port', port, 8080)
  .option('--p2p-port <port>', 'libp2p TCP port', port, 4001)
  .option('--p2p-host <host>', 'libp2p listen address', '127.0.0.1')
  .action(async (o: InitCliOptions) => {
    const agsProblem = agsSchema.safeParse(o.ags).error?.issues[0]?.message ?? regionalAgsProblem(o.ags)
    if (agsProblem !== undefined) throw new CliError(`--ags ${o.ags}: ${agsProblem}`)
    const r = await initNode(o.dataDir, {
      kommune: { name: o.kommune, ags: o.ags },
      http: { host: o.httpHost, port: o.httpPort },
      p2p: { listen: [`/ip4/${o.p2pHost}/tcp/${o.p2pPort}`] }
    })
    console.log(`Node for ${r.config.kommune.name} created in ${r.dataDir}`)
    console.log(`  peer id:     ${r.peerId}`)
    console.log(`  admin token: in ${tokenPath(r.dataDir)} (keep it secret)`)
    console.log(`Start it with: swf-node start --data-dir ${o.dataDir}`)
  })

program
  .command('start')
  .description('run the node until Ctrl-C')
  .addOption(dataDirOption())
  .option('--demo', 'if the data directory is empty, create a demo Kommune with a sample dataset')
  .action(async (o: { dataDir: string; demo?: boolean }) => {
    const dataDir = resolve(o.dataDir)
    // The node (libp2p, the database, the HTTP server) loads only here: the client commands start in half the time.
    const [{ startNode }, { ensureDemoNode, seedDemoData }] = await Promise.all([import('./node.js'), import('./demo.js')])
    const created = o.demo === true && (await ensureDemoNode(dataDir))
    const node = await startNode({ dataDir })
    if (o.demo === true) await seedDemoData(node)
    if (created) console.log(`Created a demo node in ${dataDir}`)
    console.log(`${node.config.kommune.name} is running at ${node.url}  (peer id ${node.peerId})`)
    console.log(`  web UI:  ${node.url}/`)
    console.log(`  API:     curl ${node.url}/api/v1/datasets`)
    const shutdown = (): void => {
      node.stop().then(
        () => process.exit(0),
        () => process.exit(1)
      )
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  })

program
  .command('join')
  .description("join a region: pin the registry key and send this node's signed registration")
  .argument('<registry-url>', "the region's registry, e.g. https://registry.suedwestfalen.example")
  .option('--registry-key <jwk-or-file>', "the registry's public key as JWK JSON (or a file): pin it instead of fetching it")
  .option('--announce <multiaddr>', 'address others dial, repeatable (default: p2p.announce, else p2p.listen)', collect, [])
  .addOption(dataDirOption())
  .action(async (url: string, o: JoinOptions) => {
    const r = await joinRegion(url, o)
    if (r.keySource === 'fetched') {
      console.log(`Pinned the registry key fetched from ${url} (trust on first use).`)
      console.log(`  Compare its peer id with the one your region operator published: ${r.registryPeerId}`)
    }
    console.log(`Registered as ${r.answer.ags ?? r.answer.id}: ${r.answer.status} (addresses ${r.addresses.join(', ')})`)
    if (r.answer.status === 'pending') console.log(`Ask the region operator to run: swf-registry approve ${r.answer.id}`)
    console.log(`(Re)start the node to connect: swf-node start --data-dir ${o.dataDir}`)
  })

program
  .command('rotate-key')
  .description("replace this node's key (node stopped): the registry records the new key on the old key's word")
  .addOption(dataDirOption())
  .action(async (o: { dataDir: string }) => {
    const r = await rotateNodeKey(o.dataDir)
    console.log(`New key ${r.newPeerId} registered (was ${r.oldPeerId}).`)
    console.log('Start the node: it re-publishes every dataset under the new key, then the registry retires the old key.')
    console.log("Until then the old key's entries stay valid everywhere.")
  })

program
  .command('publish')
  .description('publish a file as a dataset on the running node; an existing dataset changes only in what the command names')
  .argument('<file>', 'the file to publish')
  .option('--title <title>', 'dataset title (required for a new dataset)')
  .option('--license <licence>', 'dcat-ap.de licence, e.g. dl-by-de/2.0, dl-zero-de/2.0, cc-by/4.0 (required for a new dataset)')
  .option('--description <text>', 'dataset description (a new dataset: default the title)')
  .option('--id <id>', 'dataset id (default: derived from the title)')
  .option('--theme <code>', 'EU data theme, repeatable: TRAN, ENVI, …', collect, [])
  .option('--keyword <word>', 'keyword, repeatable', collect, [])
  .option('--bbox <minLon,minLat,maxLon,maxLat>', "extent in WGS84 (default: from a CSV's lat/lon columns or a GeoJSON's geometries)")
  .option('--ags <ags>', 'AGS of the area the data covers')
  .option('--replace <distribution>', 'put the file in place of this distribution of the dataset')
  .option('--add', 'add the file as another distribution of the dataset')
  .option('--format <code>', 'EU file-type code (default: from the file extension)')
  .option('--media-type <type>', 'media type (default: from the file extension)')
  .addOption(dataDirOption())
  .addOption(urlOption())
  .action(async (file: string, o: PublishOptions & ClientOptions) => {
    const r = await publishFile(new NodeClient(o), file, o)
    const bbox = r.dataset.spatial?.bbox
    console.log(
      `Published ${r.dataset.id} (entry ${r.entry.seq}, ${r.distribution.id}: ${r.distribution.byteSize} bytes, sha256 ${r.distribution.sha256}${bbox === undefined ? '' : `, extent ${bbox.join(',')}`})`
    )
  })

program
  .command('delete')
  .description('delete one of your datasets (a signed tombstone reaches every node), or only one of its files')
  .argument('<id>', 'dataset id')
  .option('--distribution <id>', 'remove only this distribution')
  .addOption(dataDirOption())
  .addOption(urlOption())
  .action(async (id: string, o: ClientOptions & { distribution?: string }) => {
    const client = new NodeClient(o)
    const path = `/api/v1/datasets/${encodeURIComponent(id)}${o.distribution === undefined ? '' : `/distributions/${encodeURIComponent(o.distribution)}`}`
    const r = await client.request<PublishAnswer>(path, { method: 'DELETE', admin: true })
    console.log(
      o.distribution === undefined
        ? `Deleted ${id} (entry ${r.entry.seq}); every node drops it`
        : `Removed ${o.distribution} from ${id} (entry ${r.entry.seq})`
    )
  })

program
  .command('import')
  .description("import an existing portal's DCAT-AP.de catalog (file or URL; Turtle, RDF/XML, JSON-LD) as your datasets")
  .argument('<file-or-url>', 'a catalog file, or an http(s) URL (paged catalogs are followed)')
  .option('--prune', 'delete datasets that came from this source earlier and are gone from it now')
  .option('--json', 'print the report as JSON')
  .addOption(dataDirOption())
  .addOption(urlOption())
  .action(async (src: string, o: ClientOptions & { prune?: boolean; json?: boolean }) => {
    const r = await importCatalog(new NodeClient(o), src, o.prune === true)
    // Exit 3: a partial import (a later page failed); what was read is imported and reported.
    if (!r.complete) process.exitCode = 3
    if (o.json === true) {
      console.log(JSON.stringify(r, null, 2))
      return
    }
    console.log(
      `Imported ${r.source}: ${r.pages} page(s), ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged, ${r.pruned} pruned, ${r.skipped.length} skipped, ${r.warnings.length} field warning(s)`
    )
    for (const s of r.skipped) console.log(`  skipped ${s.iri}: ${s.reason}`)
    for (const w of r.warnings) console.log(`  warning ${w.iri} ${w.field}: ${w.message}`)
    for (const f of r.failedPages) console.log(`  page not read ${f.url}: ${f.reason}`)
    if (!r.complete) {
      console.log(
        `Import incomplete: ${r.failedPages.length} page(s) could not be read${o.prune === true ? '; nothing was pruned' : ''}. Run the same command again to continue; imported datasets are updated, not duplicated.`
      )
    }
  })

program
  .command('search')
  .description('search the regional catalog (what this node holds, or live from every node with --federated)')
  .argument('[text]', 'search words (German folding and prefixes: "Radweg" finds "Radwege")', '')
  .option('--theme <code>', 'EU data theme, repeatable', collect, [])
  .option('--keyword <word>', 'keyword, repeatable', collect, [])
  .option('--bbox <minLon,minLat,maxLon,maxLat>', 'datasets whose extent intersects this box')
  .option('--federated', 'ask every node of the region now')
  .option('--limit <n>', 'hits (≤ 100)')
  .option('--json', 'print JSON')
  .addOption(dataDirOption())
  .addOption(urlOption())
  .action(async (text: string, o: SearchCliOptions & ClientOptions) => {
    await searchCommand(new NodeClient(o), text, o)
  })

program
  .command('query')
  .description("federated data query: matching CSV rows and GeoJSON features from every Kommune's own files")
  .option('--bbox <minLon,minLat,maxLon,maxLat>', 'points and features inside this box')
  .option('--where <cond>', 'field=value (equals) or field~value (contains), repeatable', collect, [])
  .option('--dataset <id>', 'only this dataset id')
  .option('--theme <code>', 'only datasets with this theme')
  .option('--limit <n>', 'matches per node (≤ 1000)')
  .option('--json', 'print JSON')
  .addOption(dataDirOption())
  .addOption(urlOption())
  .action(async (o: QueryCliOptions & ClientOptions) => {
    await queryCommand(new NodeClient(o), o)
  })

program
  .command('fetch')
  .description('download a file of any dataset in the regional catalog, verified, through this node')
  .argument('<dataset>', '<publisher peer id>/<dataset id>, or a dataset id unique in the region')
  .argument('[distribution]', 'distribution id (default: the first file)')
  .option('-o, --output <file>', 'where to write it (default: the original file name)')
  .option('--force', 'overwrite the output file if it exists')
  .option('--quiet', 'no progress bar')
  .addOption(dataDirOption())
  .addOption(urlOption())
  .action(async (target: string, dist: string | undefined, o: FetchCliOptions & ClientOptions) => {
    const file = await fetchCommand(new NodeClient(o), target, dist, o)
    console.log(`Saved ${file}`)
  })

program
  .command('datasets')
  .description("list the node's own datasets")
  .addOption(dataDirOption())
  .addOption(urlOption())
  .option('--json', 'print JSON')
  .action(async (o: ClientOptions & { json?: boolean }) => {
    const client = new NodeClient(o)
    const all: OwnDataset[] = []
    let cursor: string | null = null
    do {
      const page: OwnPage = await client.request<OwnPage>(
        `/api/v1/datasets?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`
      )
      all.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== null)
    if (o.json === true) {
      console.log(JSON.stringify(all, null, 2))
      return
    }
    if (all.length === 0) {
      console.log('no datasets yet; publish one with "swf-node publish <file> --title … --license …"')
      return
    }
    for (const { dataset, entry } of all) {
      console.log(
        `${dataset.id.padEnd(40)} ${String(dataset.distributions.length).padStart(2)} file(s)  seq ${String(entry.seq).padStart(5)}  ${dataset.title}`
      )
    }
  })

program
  .command('status')
  .description("show the running node's status")
  .addOption(dataDirOption())
  .addOption(urlOption())
  .option('--json', 'print JSON')
  .option('--wait-sync', 'wait (with a progress bar) until the initial sync with the region is complete')
  .action(async (o: ClientOptions & { json?: boolean; waitSync?: boolean }) => {
    const client = new NodeClient(o)
    if (o.waitSync === true) await waitForSync(client)
    const s = await client.request<StatusAnswer>('/api/v1/status')
    if (o.json === true) {
      console.log(JSON.stringify(s, null, 2))
      return
    }
    for (const line of statusLines(s, client.url)) console.log(line)
  })

// Every failure is one line on stderr, never a stack trace (SWF_DEBUG=1 adds it for our own faults).
program.parseAsync().catch((err: unknown) => {
  const known =
    err instanceof CliError ||
    err instanceof ConfigError ||
    err instanceof RegistrationError ||
    err instanceof StartError ||
    err instanceof DataDirLockedError ||
    err instanceof ValidationError
  const message = err instanceof Error ? err.message : String(err)
  console.error(`swf-node: ${message.split('\n')[0]}${known ? '' : ' (unexpected; SWF_DEBUG=1 shows where)'}`)
  if (!known && process.env.SWF_DEBUG === '1') console.error(err instanceof Error ? err.stack : err)
  process.exit(known ? 1 : 2)
})
