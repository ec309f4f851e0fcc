import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EntrySigner, KEY_ROTATION_TYP, REGISTRATION_TYP, generateIdentityKey, type Ed25519PrivateKey } from '@swf/protocol'
import { rotateNodeKey } from '@swf/node/cli/rotate-key'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

async function signed(key: Ed25519PrivateKey, doc: unknown, typ: string): Promise<string> {
  return (await EntrySigner.create(key)).signDocument(doc, typ)
}

describe('a Kommune rotates its node key', () => {
  const region = new TestRegion()
  let soest: RegionNode, arnsberg: RegionNode, menden: RegionNode
  let oldPeerId: string, newPeerId: string
  const csv = 'punkt;art\n1;Schlagloch\n2;Riss\n'

  beforeAll(async () => {
    await region.startRegistry()
    soest = await region.addNode('Stadt Soest', '05974040')
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004')
    menden = await region.addNode('Stadt Menden (Sauerland)', '05962040')
    await region.publish(soest, sampleDataset({ id: 'strassenschaeden', title: 'Straßenschäden' }))
    await fetch(`${soest.node.url}/api/v1/datasets/strassenschaeden/distributions/punkte?format=CSV&license=dl-by-de/2.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${soest.token}`, 'content-type': 'text/csv' },
      body: csv
    })
    await region.publish(soest, sampleDataset({ id: 'baustellen', title: 'Baustellen' }))
    oldPeerId = soest.node.peerId
    await waitFor(
      () => region.datasetIds(arnsberg, oldPeerId).length === 2 && region.datasetIds(menden, oldPeerId).length === 2,
      'initial sync'
    )
  })
  afterAll(async () => {
    await region.close()
  })

  it("the registry records the new key on the old key's word; the old entries stay valid until re-published", async () => {
    await soest.stop()
    const r = await rotateNodeKey(soest.dataDir)
    expect(r.oldPeerId).toBe(oldPeerId)
    newPeerId = r.newPeerId
    const p = region.registry.service.get('05974040')
    expect(p.peerId).toBe(newPeerId)
    expect(p.retiredKeys?.map(k => k.peerId)).toEqual([oldPeerId])

    // Everywhere: the old key may no longer connect, but its entries are still valid and kept.
    await waitFor(() => arnsberg.node.directory!.isActive(newPeerId), 'new list at Arnsberg')
    for (const n of [arnsberg, menden]) {
      await waitFor(() => n.node.directory!.isActive(newPeerId), `new list at ${n.name}`)
      expect(n.node.directory!.isActive(oldPeerId)).toBe(false)
      expect(n.node.directory!.isPublisher(oldPeerId)).toBe(true)
      expect(region.datasetIds(n, oldPeerId)).toEqual(['baustellen', 'strassenschaeden'])
      const jws = (
        n.node.db.$client.prepare('SELECT jws FROM entries WHERE publisher = ? ORDER BY seq LIMIT 1').get(oldPeerId) as { jws: string }
      ).jws
      expect('payload' in (await n.node.network!.replication.acceptor.check(jws))).toBe(true)
    }
  })

  it('on restart the node re-publishes under the new key, the old key is retired and its entries disappear everywhere', async () => {
    await soest.start()
    expect(soest.node.peerId).toBe(newPeerId)
    await waitFor(() => (region.registry.service.get('05974040').retiredKeys ?? []).length === 0, 'old key retired at the registry')
    for (const n of [soest, arnsberg, menden]) {
      await waitFor(
        () => region.datasetIds(n, newPeerId).length === 2 && region.datasetIds(n, oldPeerId).length === 0,
        `${n.name} holds the re-published datasets only`
      )
      expect(n.node.directory!.isPublisher(oldPeerId)).toBe(false)
    }
    // The file travelled with the metadata: same hash, downloadable through a neighbour.
    const res = await fetch(`${arnsberg.node.url}/api/v1/catalog/${newPeerId}/strassenschaeden/distributions/punkte/file`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(csv)
    await waitFor(() => arnsberg.node.network!.isConnected(newPeerId), 'Soest connected under its new key')
    // The old private key is gone from the data directory.
    const { existsSync } = await import('node:fs')
    expect(existsSync(`${soest.dataDir}/node-key.previous.json`)).toBe(false)
    tally('node key rotations (re-published and retired)', 1)
  })

  it('refuses a replayed rotation, one signed by another key, and one for a participant that is not active', async () => {
    const stranger = await generateIdentityKey()
    const next = await generateIdentityKey()
    const now = new Date().toISOString()
    const registration = await signed(
      next,
      { v: 1, kommune: 'Stadt Soest', ags: '05974040', peerId: (await EntrySigner.create(next)).peerId, addresses: [], issuedAt: now },
      REGISTRATION_TYP
    )
    const nextPeer = (await EntrySigner.create(next)).peerId
    // The old (retired) key tries again: it is not the current key any more.
    const strangerPeer = (await EntrySigner.create(stranger)).peerId
    const forged = await signed(
      stranger,
      { v: 1, ags: '05974040', oldPeerId: strangerPeer, newPeerId: nextPeer, issuedAt: now },
      KEY_ROTATION_TYP
    )
    await expect(region.registry.service.rotate(registration, forged)).rejects.toMatchObject({ status: 409 })
    const wrongSigner = await signed(
      stranger,
      { v: 1, ags: '05974040', oldPeerId: newPeerId, newPeerId: nextPeer, issuedAt: now },
      KEY_ROTATION_TYP
    )
    await expect(region.registry.service.rotate(registration, wrongSigner)).rejects.toMatchObject({ status: 400, code: 'invalid_rotation' })
    const res = await fetch(`${region.registry.url}/participants/rotate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ registration, rotation: 'x.y.z' })
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as any).error.field).toBe('rotation')
    expect(region.registry.service.get('05974040').peerId).toBe(newPeerId)
  })
})
