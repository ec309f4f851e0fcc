import { afterAll, describe, expect, it } from 'vitest'
import {
  EntrySigner,
  datasetMetadataSchema,
  generateIdentityKey,
  publicJwkOfPeerId,
  signatureInputOf,
  type SignedEntry
} from '@swf/protocol'
import { SignaturePool, type SignatureCheck } from '@swf/node/replication/signature-pool'
import { sampleDataset } from '../helpers/fixtures.js'

async function signedEntries(n: number): Promise<{ signer: EntrySigner; entries: SignedEntry[] }> {
  const signer = await EntrySigner.create(await generateIdentityKey())
  const dataset = datasetMetadataSchema.parse(sampleDataset({ id: 'pool' }))
  const entries: SignedEntry[] = []
  for (let i = 0; i < n; i++) {
    entries.push(
      await signer.sign({
        v: 1,
        publisher: signer.peerId,
        datasetId: 'pool',
        seq: i + 1,
        prevHash: i === 0 ? null : entries[i - 1]!.hash,
        issuedAt: new Date().toISOString(),
        tombstone: false,
        dataset
      })
    )
  }
  return { signer, entries }
}

const checkOf = (x: string, jws: string): SignatureCheck => {
  const { input, signature } = signatureInputOf(jws)
  return [x, input, signature]
}

describe('SignaturePool', () => {
  const pool = new SignaturePool(2)
  afterAll(async () => {
    await pool.close()
  })

  it('verifies a large batch on worker threads and flags exactly the bad signatures', async () => {
    const { signer, entries } = await signedEntries(200)
    const other = await signedEntries(1)
    const x = publicJwkOfPeerId(signer.peerId).x
    const checks = entries.map(e => checkOf(x, e.jws))
    // 3: a flipped signature byte, 50: another key's signature, 120: payload of another entry, 199: garbage.
    const [h, p, s] = entries[3]!.jws.split('.') as [string, string, string]
    checks[3] = checkOf(x, `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`)
    checks[50] = checkOf(publicJwkOfPeerId(other.signer.peerId).x, entries[50]!.jws)
    checks[120] = [x, signatureInputOf(entries[121]!.jws).input, signatureInputOf(entries[120]!.jws).signature]
    checks[199] = [x, 'x', '%%%']
    const ok = await pool.verify(checks)
    expect(ok).toHaveLength(200)
    expect(ok.flatMap((v, i) => (v ? [] : [i]))).toEqual([3, 50, 120, 199])
  })

  it('verifies small batches on the calling thread with the same result', async () => {
    const { signer, entries } = await signedEntries(3)
    const x = publicJwkOfPeerId(signer.peerId).x
    const ok = await pool.verify([
      checkOf(x, entries[0]!.jws),
      [x, 'tampered', signatureInputOf(entries[1]!.jws).signature],
      checkOf(x, entries[2]!.jws)
    ])
    expect(ok).toEqual([true, false, true])
  })

  it('starts its workers on the first large batch and ends them when idle, then starts them again', async () => {
    const idlePool = new SignaturePool(2, { idleMs: 200 })
    try {
      const { signer, entries } = await signedEntries(64)
      const x = publicJwkOfPeerId(signer.peerId).x
      expect(idlePool.threads).toBe(0)
      expect((await idlePool.verify(entries.map(e => checkOf(x, e.jws)))).every(Boolean)).toBe(true)
      expect(idlePool.threads).toBe(2)
      await expect.poll(() => idlePool.threads, { timeout: 5_000 }).toBe(0)
      expect((await idlePool.verify(entries.map(e => checkOf(x, e.jws)))).every(Boolean)).toBe(true)
      expect(idlePool.threads).toBe(2)
    } finally {
      await idlePool.close()
    }
  })
})
