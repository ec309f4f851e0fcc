import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdOfPublicJwk, publicJwkSchema, type Ed25519PublicJwk } from '@swf/protocol'
import { configPath, keyPath, loadConfig, parseConfig } from '../config.js'
import { loadIdentityKey } from '../identity-store.js'
import { registerWithRegistry, type RegistrationAnswer } from '../region/registration.js'
import { writeFileAtomic } from '../write-file-atomic.js'
import { CliError } from './client.js'

export interface JoinOptions {
  dataDir: string
  registryKey?: string
  announce?: string[]
}

export interface JoinResult {
  answer: RegistrationAnswer
  registryPeerId: string
  keySource: 'given' | 'fetched'
  addresses: string[]
}

/**
 * `swf-node join <registry-url>`: pins the registry key in config.json and
 * sends the node's signed registration. The operator then approves it; the
 * node (re)registers its live addresses at every start.
 */
export async function joinRegion(registryUrl: string, o: JoinOptions): Promise<JoinResult> {
  const dataDir = resolve(o.dataDir)
  const config = loadConfig(dataDir, {})
  let url: URL
  try {
    url = new URL(registryUrl)
  } catch {
    throw new CliError(`not a URL: ${registryUrl}`)
  }
  const given = o.registryKey === undefined ? undefined : parseKey(o.registryKey) // a malformed key is named before any request
  const served = await fetchKey(url)
  const { jwk, source } = given !== undefined ? { jwk: given, source: 'given' as const } : { jwk: served, source: 'fetched' as const }
  // A wrong pinned key would leave the node at 0 peers for ever (every list refused): say so now, register nothing.
  if (jwk.x !== served.x) {
    throw new CliError(
      `--registry-key is not the key of the registry at ${url.toString()}: it signs with ${peerIdOfPublicJwk(served)}, the key given is ${peerIdOfPublicJwk(jwk)}; ask your region operator for the current key (nothing was registered)`
    )
  }

  const named = o.announce ?? [] // --announce, repeatable
  const announce = named.length > 0 ? named : config.p2p.announce
  const addresses = announce.length > 0 ? announce : config.p2p.listen
  for (const a of addresses) {
    let parts
    try {
      parts = multiaddr(a).getComponents()
    } catch {
      throw new CliError(`not a multiaddr: ${a}`)
    }
    if (parts.some(c => c.name === 'tcp' && c.value === '0'))
      throw new CliError(`address ${a} has port 0: set a fixed p2p port (init --p2p-port) or --announce`)
    if (parts.some(c => (c.name === 'ip4' && c.value === '0.0.0.0') || (c.name === 'ip6' && c.value === '::'))) {
      throw new CliError(`address ${a} listens on all interfaces; pass --announce /ip4/<public address>/tcp/<port> so others can dial it`)
    }
  }

  // Keep the config as written (no defaults added), plus the registry and announce addresses.
  const raw = JSON.parse(readFileSync(configPath(dataDir), 'utf8')) as Record<string, unknown> & { p2p?: object }
  const registry = { url: url.toString().replace(/\/+$/, ''), publicKeyJwk: jwk }
  raw.registry = registry
  if (named.length > 0) raw.p2p = { ...raw.p2p, announce: named }
  parseConfig(raw)
  await writeFileAtomic(configPath(dataDir), JSON.stringify(raw, null, 2) + '\n')

  const key = await loadIdentityKey(keyPath(dataDir))
  const answer = await registerWithRegistry(registry.url, key, { kommune: config.kommune.name, ags: config.kommune.ags }, addresses)
  return { answer, registryPeerId: peerIdOfPublicJwk(jwk), keySource: source, addresses }
}

function parseKey(value: string): Ed25519PublicJwk {
  let raw: unknown
  try {
    raw = JSON.parse(existsSync(value) ? readFileSync(value, 'utf8') : value)
  } catch {
    throw new CliError("--registry-key must be the registry's public JWK (JSON) or a file holding it")
  }
  const maybe = (raw as { publicKeyJwk?: unknown } | null)?.publicKeyJwk ?? raw
  const r = publicJwkSchema.safeParse(maybe)
  if (!r.success) throw new CliError(`--registry-key is not an Ed25519 public JWK: ${r.error.issues[0]?.message}`)
  return r.data
}

async function fetchKey(url: URL): Promise<Ed25519PublicJwk> {
  let res: Response
  try {
    res = await fetch(new URL('registry', url.toString().endsWith('/') ? url : `${url.toString()}/`), {
      signal: AbortSignal.timeout(10_000)
    })
  } catch {
    throw new CliError(`no registry answers at ${url.toString()}`)
  }
  const body = (await res.json().catch(() => null)) as { publicKeyJwk?: unknown } | null
  const r = publicJwkSchema.safeParse(body?.publicKeyJwk)
  if (!res.ok || !r.success) throw new CliError(`${url.toString()} did not answer with a registry key`)
  return r.data
}
