import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { EntrySigner, REGISTRY_HANDOVER_TYP, generateIdentityKey, publicJwkOf, verifyRegistryHandover } from '@swf/protocol'
import { rotateRegistryKey } from '@swf/registry/registry'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor } from '../helpers/region.js'
import { tally } from '../helpers/tally.js'

describe('the registry rotates its own key', () => {
  const region = new TestRegion()
  afterAll(async () => {
    await region.close()
  })

  it('nodes follow the hand-over signed by the key they pinned, across two rotations and a restart', async () => {
    await region.startRegistry()
    const a = await region.addNode('Stadt Arnsberg', '05958004')
    const b = await region.addNode('Stadt Soest', '05974040')
    const firstKey = region.registry.peerId
    await waitFor(() => a.node.network!.isConnected(b.node.peerId), 'connected')

    // Two rotations while the nodes keep running; a is stopped for the second one.
    await region.registry.stop()
    const r1 = await rotateRegistryKey(region.registryDir)
    expect(r1.oldPeerId).toBe(firstKey)
    await region.startRegistry()
    await waitFor(
      () => a.node.directory!.registryPeerId === r1.newPeerId && b.node.directory!.registryPeerId === r1.newPeerId,
      'nodes follow the first hand-over'
    )
    await a.stop()
    await region.registry.stop()
    const r2 = await rotateRegistryKey(region.registryDir)
    await region.startRegistry()
    expect(region.registry.peerId).toBe(r2.newPeerId)

    // A new participant is approved: the list changes, signed by the newest key.
    const c = await region.addNode('Stadt Olpe', '05966024')
    await waitFor(() => b.node.directory!.isActive(c.node.peerId), 'b accepts the list of the second key')
    await a.start() // pinned r1's key on disk; follows the second hand-over
    await waitFor(
      () => a.node.directory!.isActive(c.node.peerId) && a.node.directory!.registryPeerId === r2.newPeerId,
      'a catches up over the chain'
    )
    const pinned = JSON.parse(readFileSync(join(a.dataDir, 'registry-key.json'), 'utf8'))
    expect(pinned.x).toBe(region.registry.publicKeyJwk.x)

    // The region still works end to end.
    await region.publish(c, sampleDataset({ id: 'nach-dem-schluesselwechsel', title: 'Nach dem Schlüsselwechsel' }))
    await waitFor(
      () => region.datasetIds(a).includes('nach-dem-schluesselwechsel') && region.datasetIds(b).includes('nach-dem-schluesselwechsel'),
      'sync'
    )
    tally('registry key hand-overs followed', 2)
  })

  it('refuses a hand-over not signed by the pinned key', async () => {
    const pinned = await generateIdentityKey()
    const attacker = await generateIdentityKey()
    const next = await generateIdentityKey()
    const forged = await (
      await EntrySigner.create(attacker)
    ).signDocument(
      {
        v: 1,
        oldRegistry: (await EntrySigner.create(pinned)).peerId,
        newRegistry: (await EntrySigner.create(next)).peerId,
        newPublicKeyJwk: publicJwkOf(next),
        issuedAt: new Date().toISOString()
      },
      REGISTRY_HANDOVER_TYP
    )
    await expect(verifyRegistryHandover(forged, publicJwkOf(pinned))).rejects.toThrow(/pinned registry key/)
    // Signed by the pinned key but for a key that does not match its peer id.
    const mismatched = await (
      await EntrySigner.create(pinned)
    ).signDocument(
      {
        v: 1,
        oldRegistry: (await EntrySigner.create(pinned)).peerId,
        newRegistry: (await EntrySigner.create(next)).peerId,
        newPublicKeyJwk: publicJwkOf(attacker),
        issuedAt: new Date().toISOString()
      },
      REGISTRY_HANDOVER_TYP
    )
    await expect(verifyRegistryHandover(mismatched, publicJwkOf(pinned))).rejects.toThrow(/differ/)
  })
})
