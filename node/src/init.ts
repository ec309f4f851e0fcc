import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { peerIdOf } from '@swf/protocol'
import { configPath, ConfigError, keyPath, parseConfig, tokenPath, type NodeConfig, type NodeConfigInput } from './config.js'
import { createIdentityKey } from './identity-store.js'

export interface InitResult {
  dataDir: string
  config: NodeConfig
  peerId: string
  adminToken: string
}

/**
 * Creates a node's data directory: config.json, the Ed25519 identity key
 * (0600) and the admin token (0600). Refuses to touch an existing node.
 */
export async function initNode(dataDir: string, input: NodeConfigInput): Promise<InitResult> {
  const dir = resolve(dataDir)
  if (existsSync(configPath(dir)) || existsSync(keyPath(dir))) {
    throw new ConfigError(`${dir} already holds a node; choose another --data-dir`)
  }
  const config = parseConfig(input)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const key = await createIdentityKey(keyPath(dir))
  const adminToken = randomBytes(32).toString('base64url')
  await writeFile(tokenPath(dir), adminToken + '\n', { mode: 0o600, flag: 'wx' })
  await writeFile(configPath(dir), JSON.stringify(config, null, 2) + '\n', { mode: 0o644, flag: 'wx' })
  return { dataDir: dir, config, peerId: peerIdOf(key), adminToken }
}
