import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { datasetMetadataSchema, EntrySigner, privateKeyFromJwk, type SignedEntry } from '@swf/protocol'
import type { RunningNode } from '@swf/node/node'
import { sampleDataset } from './fixtures.js'

/**
 * Signs `count` entries with a node's own key (continuing its chain) and
 * stores them through its EntryStore, as if it had published them: a fast
 * way to give a node a large catalog.
 */
export async function publishBulk(node: RunningNode, count: number, batch = 1000): Promise<void> {
  const key = await privateKeyFromJwk(JSON.parse(readFileSync(join(node.dataDir, 'node-key.json'), 'utf8')))
  const signer = await EntrySigner.create(key)
  let { seq, hash } = node.catalog.head()
  let pending: SignedEntry[] = []
  for (let i = 0; i < count; i++) {
    const id = `bulk-${seq + 1}`
    const entry = await signer.sign({
      v: 1,
      publisher: signer.peerId,
      datasetId: id,
      seq: seq + 1,
      prevHash: hash,
      issuedAt: new Date().toISOString(),
      tombstone: false,
      dataset: datasetMetadataSchema.parse(
        sampleDataset({
          id,
          title: `Datensatz ${seq + 1}`,
          description: `Beschreibung des Datensatzes ${seq + 1} mit Messwerten und Standorten.`
        })
      )
    })
    pending.push(entry)
    seq = entry.payload.seq
    hash = entry.hash
    if (pending.length === batch) {
      node.store.store(pending)
      pending = []
    }
  }
  if (pending.length > 0) node.store.store(pending)
}
