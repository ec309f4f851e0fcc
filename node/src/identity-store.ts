import { readFile, writeFile } from 'node:fs/promises'
import { generateIdentityKey, privateKeyFromJwk, privateKeyToJwk, type Ed25519PrivateKey } from '@swf/protocol'

// The node key on disk: an Ed25519 private JWK, readable by the owner only.

export async function saveIdentityKey(file: string, key: Ed25519PrivateKey): Promise<void> {
  // 'wx' refuses to overwrite: replacing a key silently would orphan every
  // entry the node has signed. Rotation is a deliberate, separate step.
  await writeFile(file, JSON.stringify(privateKeyToJwk(key), null, 2) + '\n', { mode: 0o600, flag: 'wx' })
}

export async function loadIdentityKey(file: string): Promise<Ed25519PrivateKey> {
  return privateKeyFromJwk(JSON.parse(await readFile(file, 'utf8')))
}

export async function createIdentityKey(file: string): Promise<Ed25519PrivateKey> {
  const key = await generateIdentityKey()
  await saveIdentityKey(file, key)
  return key
}
