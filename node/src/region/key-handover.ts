import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import type { Logger } from 'pino'
import { peerIdOf } from '@swf/protocol'
import { previousKeyPath, type NodeConfig } from '../config.js'
import { loadIdentityKey } from '../identity-store.js'
import type { CatalogService } from '../services/catalog-service.js'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { retireAtRegistry } from './registration.js'

/**
 * Finishes a key rotation at start: re-publishes the old key's datasets under
 * the new key, then asks the registry to retire the old key (its entries then
 * disappear from every node) and deletes the old private key. Until the
 * registry confirms, it retries; nothing is lost if the node stops midway.
 */
export async function completeKeyRotation(
  dataDir: string,
  key: Ed25519PrivateKey,
  config: NodeConfig,
  catalog: CatalogService,
  log: Logger
): Promise<'none' | 'done' | 'pending'> {
  const file = previousKeyPath(dataDir)
  if (!existsSync(file) || config.registry === undefined) return 'none'
  const oldPeerId = peerIdOf(await loadIdentityKey(file))
  const adopted = await catalog.adoptFrom(oldPeerId)
  if (adopted > 0)
    log.info({ oldPeerId, entries: adopted }, 're-published the datasets and use cases of the previous key under the new key')
  try {
    await retireAtRegistry(config.registry.url, key, config.kommune.ags, [oldPeerId])
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'registry did not retire the previous key yet; will retry')
    return 'pending'
  }
  await rm(file, { force: true })
  log.info({ oldPeerId }, 'key rotation complete: previous key retired and deleted')
  return 'done'
}
