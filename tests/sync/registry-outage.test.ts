import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ParticipantDirectory } from '@swf/node/region/participant-directory'
import { initRegistry, startRegistry, type RunningRegistry } from '@swf/registry/registry'
import { sampleDataset } from '../helpers/fixtures.js'
import { tally } from '../helpers/tally.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { farSideRefuses } from '../helpers/waits.js'

describe('registry outage', () => {
  const region = new TestRegion()
  let a: RegionNode, b: RegionNode
  let impostor: RunningRegistry | undefined

  beforeAll(async () => {
    await region.startRegistry()
    a = await region.addNode('Stadt Iserlohn', '05962024')
    b = await region.addNode('Stadt Plettenberg', '05962052')
    await region.publish(a, sampleDataset({ id: 'parken', title: 'Parkplätze Iserlohn' }))
    await waitFor(() => region.datasetIds(b).includes('parken'), 'first sync')
    // Both nodes have cached the list that approves both.
    const serial = (await region.registry.service.list()).serial
    await waitFor(() => a.node.directory!.serial === serial && b.node.directory!.serial === serial, 'list cached')
  })
  afterAll(async () => {
    await impostor?.stop()
    await region.close()
  })

  it('nodes restart and keep syncing from their cached, signed list', async () => {
    await region.registry.stop()
    await b.stop()
    await b.start()
    const status = await b.api('/api/v1/status')
    expect(status.registry.listSerial).toBeGreaterThan(0)
    expect(status.registry.lastFetchError).toMatch(/fetch failed|ECONNREFUSED|registry/i)
    await waitFor(() => b.node.network!.host.getPeers().length === 1, 'reconnected without the registry')
    await region.publish(a, sampleDataset({ id: 'parken-2', title: 'Parkhäuser Iserlohn' }))
    await waitFor(() => region.datasetIds(b).includes('parken-2'), 'sync during the outage')
    tally('registry outages survived from the cached list', 1)
  })

  it('refuses a list signed by another key and keeps the pinned one in force', async () => {
    const dir = join(region.root, 'impostor')
    await initRegistry(dir, { host: '127.0.0.1', port: 0 })
    impostor = await startRegistry({ dataDir: dir, env: {}, log: pino({ level: 'silent' }) })
    const serialBefore = b.node.directory!.serial
    await b.stop()
    const configFile = join(b.dataDir, 'config.json')
    const config = JSON.parse(readFileSync(configFile, 'utf8'))
    writeFileSync(configFile, JSON.stringify({ ...config, registry: { ...config.registry, url: impostor.url } }))
    await b.start()
    expect(b.node.directory!.serial).toBe(serialBefore)
    expect(b.node.directory!.lastFetchError).toMatch(/refused.*pinned registry key/)
    await waitFor(() => b.node.network!.host.getPeers().length === 1, 'still connected on the pinned list')
    writeFileSync(configFile, JSON.stringify(config))
  })

  it('refuses a tampered cache: without a valid list the node admits nobody', async () => {
    await b.stop()
    const cacheFile = join(b.dataDir, 'participants.jws')
    const [h, p, s] = readFileSync(cacheFile, 'utf8').trim().split('.')
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString())
    payload.participants.push({
      ...payload.participants[0],
      id: '05999999',
      peerId: '12D3KooWQK1wnefoLrcVHbbnf5tLzbopUd3K3bFAoJpA7YJgL5pV'
    })
    writeFileSync(cacheFile, `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}\n`)
    await b.start()
    expect(b.node.directory!.serial).toBe(0)
    // Admits nobody, either way: a dial from A (which lists B) is refused by B's gate, and B's gate blocks its own dials.
    const addressOf = (n: RegionNode): Multiaddr => multiaddr(n.node.network!.addresses()[0])
    await farSideRefuses(a.node.network!.host, addressOf(b))
    await expect(b.node.network!.host.dial(addressOf(a), { signal: AbortSignal.timeout(5_000) })).rejects.toThrow(/blocked by gater/)
    expect(b.node.network!.host.getPeers()).toHaveLength(0)
    // The registry comes back: the node recovers on its own.
    await region.startRegistry()
    await waitFor(() => b.node.directory!.serial > 0, 'fresh list fetched')
    await waitFor(() => b.node.network!.host.getPeers().length === 1, 'reconnected')
  })

  it('never goes back to a list with a lower serial', async () => {
    const old = (await region.registry.service.list()).jws
    await region.registry.service.revoke('05962052')
    await region.registry.service.approve('05962052')
    const dir = new ParticipantDirectory({
      registryUrl: region.registry.url,
      registryKey: region.registry.publicKeyJwk,
      cacheFile: join(region.root, 'rollback.jws'),
      log: pino({ level: 'silent' })
    })
    expect(await dir.refresh()).toBe(true)
    const newer = dir.serial
    writeFileSync(join(region.root, 'rollback.jws'), old)
    expect(await dir.loadCache()).toBe(false)
    expect(dir.serial).toBe(newer)
  })
})
