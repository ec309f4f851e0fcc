import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { configPath } from './config.js'
import { initNode } from './init.js'
import type { RunningNode } from './node.js'

// `npm start` on a fresh machine: a demo Kommune in ./data with one sample
// dataset, so there is something to look at straight away.

const DEMO_DIR = fileURLToPath(new URL('../../examples/demo/', import.meta.url))

export async function ensureDemoNode(dataDir: string): Promise<boolean> {
  if (existsSync(configPath(dataDir))) return false
  await initNode(dataDir, {
    kommune: { name: 'Stadt Arnsberg (Demo)', ags: '05958004' },
    http: { host: '127.0.0.1', port: 8080 },
    p2p: { listen: ['/ip4/127.0.0.1/tcp/4001'] }
  })
  return true
}

export async function seedDemoData(node: RunningNode): Promise<void> {
  if (node.catalog.countOwn() > 0) return
  const metadata: unknown = JSON.parse(readFileSync(`${DEMO_DIR}fahrradabstellanlagen.json`, 'utf8'))
  await node.catalog.create(metadata)
  await node.catalog.putDistributionFile(
    'fahrradabstellanlagen',
    'standorte-csv',
    createReadStream(`${DEMO_DIR}fahrradabstellanlagen.csv`),
    {
      title: 'Standorte (CSV, Semikolon-getrennt)',
      mediaType: 'text/csv',
      maxBytes: node.config.maxUploadBytes
    }
  )
}
