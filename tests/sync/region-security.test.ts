import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { CompactSign, base64url, importJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  canonicalBytes,
  canonicalize,
  CATALOG_TOPIC,
  datasetMetadataSchema,
  decodeSyncPage,
  encodeGossipEntry,
  encodeSyncMessage,
  EntrySigner,
  generateIdentityKey,
  MAX_SYNC_FRAME_BYTES,
  peerIdOf,
  privateKeyFromJwk,
  privateKeyToJwk,
  SYNC_PROTOCOL,
  type Ed25519PrivateKey,
  type EntryPayload
} from '@swf/protocol'
import { createHost, type Host } from '@swf/node/p2p/host'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { farSideRefuses } from '../helpers/waits.js'

describe('hostile and departing participants', () => {
  const region = new TestRegion()
  let arnsberg: RegionNode, soest: RegionNode, mallory: RegionNode, menden: RegionNode
  let outsider: Host | undefined

  beforeAll(async () => {
    await region.startRegistry()
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004')
    soest = await region.addNode('Stadt Soest', '05974040')
    menden = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    mallory = await region.addNode('Gemeinde Mallory', '05999999')
    await waitFor(() => region.nodes.every(n => n.node.network!.host.getPeers().length === 3), 'full mesh')
    await waitFor(
      () => region.nodes.every(n => n.node.network!.host.services.pubsub.getSubscribers(CATALOG_TOPIC).length === 3),
      'all subscribed'
    )
  })
  afterAll(async () => {
    await outsider?.stop()
    await region.close()
  })

  it('rejects forged entries on every node and stores none of them', async () => {
    await region.publish(soest, sampleDataset({ id: 'baustellen', title: 'Baustellen' }))
    const update = await soest.api('/api/v1/datasets/baustellen', {
      method: 'PUT',
      body: JSON.stringify(sampleDataset({ id: 'baustellen', title: 'Baustellen 2027' }))
    })
    for (const n of region.nodes) await waitFor(() => region.contentHash(n).count === 2, `sync to ${n.name}`)
    const before = region.nodes.map(n => region.contentHash(n).hash)
    const rejectedBefore = region.nodes.map(n => n.node.network!.replication.gossip.counters.rejected)

    const malloryKey = await privateKeyFromJwk(JSON.parse(readFileSync(join(mallory.dataDir, 'node-key.json'), 'utf8')))
    const stranger = await generateIdentityKey()
    const soestId = soest.node.peerId
    const payload = (publisher: string, seq: number, title: string): EntryPayload => ({
      v: 1,
      publisher,
      datasetId: 'baustellen',
      seq,
      prevHash: seq === 1 ? null : 'a'.repeat(64),
      issuedAt: new Date().toISOString(),
      tombstone: false,
      dataset: datasetMetadataSchema.parse(sampleDataset({ id: 'baustellen', title }))
    })
    const sign = async (key: Ed25519PrivateKey, kid: string, p: unknown): Promise<string> =>
      new CompactSign(canonicalBytes(p))
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'swf-entry+jws' })
        .sign(await importJWK(privateKeyToJwk(key), 'EdDSA'))
    const original = (soest.node.db.$client.prepare('SELECT jws FROM entries WHERE seq = 2').get() as { jws: string }).jws
    const [h, , sig] = original.split('.')
    const forged = {
      'wrong key': await sign(malloryKey, soestId, payload(soestId, 3, 'Gefälscht')),
      'spoofed publisher': await sign(malloryKey, mallory.node.peerId, payload(soestId, 3, 'Gefälscht')),
      'modified payload': `${h}.${base64url.encode(canonicalize({ ...JSON.parse(Buffer.from(original.split('.')[1]!, 'base64url').toString()), seq: 3 }))}.${sig}`,
      'unregistered publisher': (await (await EntrySigner.create(stranger)).sign(payload(peerIdOf(stranger), 1, 'Fremd'))).jws,
      'not a JWS': 'garbage'
    }
    for (const jws of Object.values(forged)) {
      await mallory.node.network!.host.services.pubsub.publish(CATALOG_TOPIC, encodeGossipEntry(jws))
    }
    const others = region.nodes.filter(n => n !== mallory)
    await waitFor(
      () =>
        others.every(
          n => n.node.network!.replication.gossip.counters.rejected - rejectedBefore[region.nodes.indexOf(n)]! >= Object.keys(forged).length
        ),
      'every node rejected every forgery'
    )
    // A replayed old entry (Soest's seq 1, superseded by seq 2), through the acceptor that gossip and pull share.
    const first = (soest.node.db.$client.prepare('SELECT jws FROM entries WHERE seq = 1').get() as { jws: string }).jws
    for (const n of others) {
      const r = await n.node.network!.replication.acceptor.accept([first], 'test-replay')
      expect(r.stored).toHaveLength(0)
      expect(r.duplicates).toBe(1)
    }

    region.nodes.forEach((n, i) => {
      expect(region.contentHash(n).hash, n.name).toBe(before[i])
    })
    for (const n of region.nodes) {
      expect((await n.api(`/api/v1/catalog/${soestId}/baustellen`)).entry.hash).toBe(update.entry.hash)
      expect(
        n.node.db.$client.prepare("SELECT COUNT(*) AS c FROM entries WHERE jws LIKE '%' || ? || '%'").get(forged['wrong key'].slice(-20))
      ).toEqual({ c: 0 })
    }
  })

  it('refuses a protocol stream from a peer that is not registered', async () => {
    outsider = await createHost({
      key: await generateIdentityKey(),
      p2p: { listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], inboundConnectionThreshold: 1000, maxConnections: 10 },
      isAllowed: () => true
    })
    const target = multiaddr(arnsberg.node.network!.addresses()[0])
    // Positive control: a registered peer gets an answer over the same protocol.
    expect(await syncAnswered(soest.node.network!.host, target)).toBe(true)
    expect(await syncAnswered(outsider, target)).toBe(false)
    // Refused by the gate, not only unanswered: a connection of its own is closed by Arnsberg.
    await farSideRefuses(outsider, target)
    expect(arnsberg.node.network!.host.getPeers().map(String)).not.toContain(outsider.peerId.toString())
    expect(arnsberg.node.network!.tracker.all().map(p => p.peerId)).not.toContain(outsider.peerId.toString())
  })

  it('disconnects a revoked participant everywhere and its entries vanish', async () => {
    await region.publish(menden, sampleDataset({ id: 'verkehrszaehlung', title: 'Verkehrszählung Menden' }))
    for (const n of region.nodes)
      await waitFor(() => region.datasetIds(n, menden.node.peerId).includes('verkehrszaehlung'), `Menden's dataset on ${n.name}`)

    await region.registry.service.revoke(menden.node.peerId)
    const others = region.nodes.filter(n => n !== menden)
    for (const n of others) {
      await waitFor(() => region.datasetIds(n, menden.node.peerId).length === 0, `Menden's entries gone from ${n.name}`)
      await waitFor(() => !n.node.network!.host.getPeers().map(String).includes(menden.node.peerId), `${n.name} disconnected from Menden`)
    }
    // Menden keeps trying to redial: the gate keeps it out (a dial of Menden's to each node, refused by that node).
    for (const n of others) await farSideRefuses(menden.node.network!.host, multiaddr(n.node.network!.addresses()[0]))
    for (const n of others) {
      expect(n.node.network!.host.getPeers().map(String)).not.toContain(menden.node.peerId)
      expect(n.node.db.$client.prepare('SELECT COUNT(*) AS c FROM entries WHERE publisher = ?').get(menden.node.peerId)).toEqual({ c: 0 })
    }
    expect(peerIdFromString(menden.node.peerId).type).toBe('Ed25519')
  })
})

/** Opens a sync stream and sends a request: true only if a page comes back. */
async function syncAnswered(host: Host, target: Multiaddr): Promise<boolean> {
  try {
    // A gated peer's dial may resolve and then abort: only an answer counts as accepted.
    const stream = await host.dialProtocol(target, SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES })
    await lp.write(encodeSyncMessage({ type: 'sync-request', have: {} }))
    decodeSyncPage((await lp.read({ signal: AbortSignal.timeout(3000) })).subarray())
    await stream.close()
    return true
  } catch {
    return false
  }
}
