import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { generateIdentityKey, peerIdOf, privateKeyToJwk } from '@swf/protocol'
import { keyPath, loadConfig, previousKeyPath } from '../config.js'
import { loadIdentityKey } from '../identity-store.js'
import { rotateAtRegistry } from '../region/registration.js'
import { writeFileAtomic } from '../write-file-atomic.js'
import { CliError } from './client.js'
import { dataDirHolder } from '../data-dir-lock.js'

export interface RotationResult {
  oldPeerId: string
  newPeerId: string
}

/**
 * `swf-node rotate-key` (node stopped): a new Ed25519 key; the registry
 * records it on the old key's word. The old key is kept as
 * node-key.previous.json until the next start has re-published every dataset
 * under the new key and the registry has retired the old one.
 */
export async function rotateNodeKey(dataDirArg: string): Promise<RotationResult> {
  const dataDir = resolve(dataDirArg)
  const config = loadConfig(dataDir, {})
  if (config.registry === undefined) throw new CliError('this node has not joined a region (swf-node join); there is no registry to tell')
  if (existsSync(previousKeyPath(dataDir)))
    throw new CliError('the last rotation is not finished: start the node once so it re-publishes under the new key')
  const holder = dataDirHolder(dataDir)
  if (holder !== undefined)
    throw new CliError(`the node is running (pid ${holder}): stop it first (its libp2p identity is the key being replaced)`)
  if (await answers(`http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}/health`)) {
    throw new CliError('the node is running: stop it first (its libp2p identity is the key being replaced)')
  }
  const oldKey = await loadIdentityKey(keyPath(dataDir))
  const newKey = await generateIdentityKey()
  const addresses = config.p2p.announce.length > 0 ? config.p2p.announce : config.p2p.listen
  await rotateAtRegistry(config.registry.url, oldKey, newKey, { kommune: config.kommune.name, ags: config.kommune.ags }, addresses)
  // The registry has the new key: from here on only the new key may sign.
  await writeFile(previousKeyPath(dataDir), JSON.stringify(privateKeyToJwk(oldKey), null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  await writeFileAtomic(keyPath(dataDir), JSON.stringify(privateKeyToJwk(newKey), null, 2) + '\n', 0o600)
  return { oldPeerId: peerIdOf(oldKey), newPeerId: peerIdOf(newKey) }
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) })
    return true
  } catch {
    return false
  }
}
