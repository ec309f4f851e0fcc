import '@swf/protocol/polyfills'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import type { ParticipantView } from './registry-service.js'
import { initRegistry, loadRegistryConfig, RegistryConfigError, rotateRegistryKey, startRegistry } from './registry.js'

const DEFAULT_DIR = process.env.SWF_REGISTRY_DIR ?? './registry-data'

class CliError extends Error {}

const port = (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new InvalidArgumentError('a port number 0–65535')
  return Number(v)
}

/** Calls the running registry's admin API with the token from its data directory. */
async function adminCall<T>(dataDir: string, method: string, path: string): Promise<T> {
  const dir = resolve(dataDir)
  const config = loadRegistryConfig(dir)
  const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim()
  const url = `http://${config.http.host}:${config.http.port}${path}`
  let res: Response
  try {
    res = await fetch(url, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) })
  } catch {
    throw new CliError(`no registry answers at ${url}; start it with "swf-registry start"`)
  }
  const body = await res.json().catch(() => null)
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error
    throw new CliError(`${res.status} ${error?.code ?? ''}: ${error?.message ?? res.statusText}`)
  }
  return body as T
}

const program = new Command('swf-registry')
  .description('The Südwestfalen data space participant registry: who belongs (it stores no datasets)')
  .showHelpAfterError()

program
  .command('init')
  .description('create the registry: config, Ed25519 key, admin token')
  .option('-d, --data-dir <dir>', 'data directory', DEFAULT_DIR)
  .option('--host <host>', 'HTTP listen address', '127.0.0.1')
  .option('--port <port>', 'HTTP port', port, 8000)
  .action(async (o: { dataDir: string; host: string; port: number }) => {
    const r = await initRegistry(o.dataDir, { host: o.host, port: o.port })
    console.log(`Registry created in ${r.dataDir}`)
    console.log(`  registry peer id:    ${r.peerId}`)
    console.log(`  public key to pin:   ${JSON.stringify(r.publicKeyJwk)}`)
  })

program
  .command('start')
  .description('run the registry until Ctrl-C')
  .option('-d, --data-dir <dir>', 'data directory', DEFAULT_DIR)
  .action(async (o: { dataDir: string }) => {
    const r = await startRegistry({ dataDir: o.dataDir })
    console.log(`Registry running at ${r.url} (peer id ${r.peerId})`)
    const stop = (): void => {
      r.stop().then(
        () => process.exit(0),
        () => process.exit(1)
      )
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })

program
  .command('rotate-key')
  .description('replace the registry key (registry stopped); nodes follow the signed hand-over')
  .option('-d, --data-dir <dir>', 'data directory', DEFAULT_DIR)
  .action(async (o: { dataDir: string }) => {
    const r = await rotateRegistryKey(o.dataDir)
    console.log(`Registry key rotated: ${r.oldPeerId} -> ${r.newPeerId}`)
    console.log('Start the registry: it signs the list with the new key; nodes follow the hand-over signed by the old key.')
    console.log('New nodes join with the new key (swf-node join fetches it, or pass --registry-key).')
  })

const ACTIONS = {
  approve: "approve a pending registration, or an active participant's pending rename or address change",
  revoke: 'revoke a participant: it leaves the region and its AGS is free again'
} as const
for (const action of ['approve', 'revoke'] as const) {
  program
    .command(action)
    .description(`${ACTIONS[action]} (by peer id; by AGS when only one registration names it)`)
    .argument('<id>', 'participant id (the AGS) or peer id')
    .option('-d, --data-dir <dir>', 'data directory', DEFAULT_DIR)
    .action(async (id: string, o: { dataDir: string }) => {
      const p = await adminCall<ParticipantView>(o.dataDir, 'POST', `/participants/${encodeURIComponent(id)}/${action}`)
      console.log(`${p.kommune} (${p.id}, ${p.peerId}) is now ${p.status}`)
    })
}

program
  .command('delete')
  .description("delete a pending or revoked registration (e.g. one that claimed another Kommune's AGS)")
  .argument('<id>', 'peer id (or AGS when only one registration names it)')
  .option('-d, --data-dir <dir>', 'data directory', DEFAULT_DIR)
  .action(async (id: string, o: { dataDir: string }) => {
    const p = await adminCall<ParticipantView>(o.dataDir, 'DELETE', `/participants/${encodeURIComponent(id)}`)
    console.log(`${p.kommune} (${p.ags}, ${p.peerId}, ${p.status}) deleted`)
  })

program
  .command('list')
  .description('list all participants, pending and revoked included')
  .option('-d, --data-dir <dir>', 'data directory', DEFAULT_DIR)
  .option('--json', 'print JSON')
  .action(async (o: { dataDir: string; json?: boolean }) => {
    const all = await adminCall<ParticipantView[]>(o.dataDir, 'GET', '/participants/all')
    if (o.json === true) {
      console.log(JSON.stringify(all, null, 2))
      return
    }
    if (all.length === 0) console.log('no participants yet')
    for (const p of all) {
      console.log(`${p.ags}  ${p.status.padEnd(8)} ${p.kommune.padEnd(30)} ${p.peerId}`)
      if (p.pendingChange !== undefined)
        console.log(`          change awaits approval: "${p.pendingChange.kommune}" at ${p.pendingChange.addresses.join(', ')}`)
    }
  })

// Every failure is one line on stderr, never a stack trace (SWF_DEBUG=1 adds it for our own faults).
program.parseAsync().catch((err: unknown) => {
  const known = err instanceof CliError || err instanceof RegistryConfigError
  const message = err instanceof Error ? err.message : String(err)
  console.error(`swf-registry: ${message.split('\n')[0]}${known ? '' : ' (unexpected; SWF_DEBUG=1 shows where)'}`)
  if (!known && process.env.SWF_DEBUG === '1') console.error(err instanceof Error ? err.stack : err)
  process.exit(known ? 1 : 2)
})
