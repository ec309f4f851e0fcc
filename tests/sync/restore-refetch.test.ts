import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { statusLines } from '@swf/node/cli/status'
import { sampleDataset } from '../helpers/fixtures.js'
import { TestRegion, waitFor, type RegionNode } from '../helpers/region.js'

// After a restore from an older backup the files uploaded since were gone
// without a word: 404 at the node itself, 503 at its neighbours. The node now
// counts the files its live entries name and it lacks (status, log), and
// fetches them back from any holder in the region.

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

describe('a node restored from an older backup', () => {
  const region = new TestRegion()
  let arnsberg: RegionNode, soest: RegionNode
  const file = randomBytes(300 * 1024)
  const hash = sha256(file)
  const blobPath = (n: RegionNode): string => join(n.dataDir, 'blobs', hash.slice(0, 2), hash)
  const status = async (n: RegionNode): Promise<any> => (await fetch(`${n.node.url}/api/v1/status`)).json()
  const download = async (): Promise<Response> => fetch(`${arnsberg.node.url}/api/v1/datasets/luftbild/distributions/kachel/file`)

  beforeAll(async () => {
    await region.startRegistry()
    arnsberg = await region.addNode('Stadt Arnsberg', '05958004')
    // Soest keeps copies of Arnsberg's files: the holder Arnsberg gets its file back from.
    soest = await region.addNode('Stadt Soest', '05974040', { mirror: { publishers: ['05958004'] } })
    await waitFor(() => arnsberg.node.network!.host.getPeers().length === 1, 'Arnsberg and Soest connected')
  }, 60_000)
  afterAll(async () => {
    await region.close()
  })

  it('counts the file it lacks in status and log, fetches it back from a holder when one connects, and serves it', async () => {
    await region.publish(arnsberg, sampleDataset({ id: 'luftbild', title: 'Luftbild' }))
    const put = await fetch(`${arnsberg.node.url}/api/v1/datasets/luftbild/distributions/kachel`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${arnsberg.token}`, 'content-type': 'application/octet-stream' },
      body: file
    })
    expect(put.status).toBe(201)
    await waitFor(() => existsSync(blobPath(soest)) && sha256(readFileSync(blobPath(soest))) === hash, 'Soest mirrors the file')
    expect((await status(arnsberg)).missingFiles).toBe(0)

    // The holder is away while Arnsberg comes back from a backup taken before the upload:
    // the entry is there (its neighbours would bring it back too), the file and its row are not.
    await soest.stop()
    await arnsberg.stop()
    rmSync(blobPath(arnsberg))
    const db = new Database(join(arnsberg.dataDir, 'node.sqlite'))
    expect(db.prepare('DELETE FROM blobs WHERE sha256 = ?').run(hash).changes).toBe(1)
    db.close()
    await arnsberg.start()

    const lacking = await status(arnsberg)
    expect(lacking.missingFiles).toBe(1)
    expect(statusLines(lacking, arnsberg.node.url).join('\n')).toMatch(
      /WARNING: {3}1 file\(s\) this node should hold are missing; fetching them from the region/
    )
    expect((await download()).status).toBe(404)

    // A holder connects: the file comes back, verified against the signed hash, and is served again.
    await soest.start()
    await waitFor(async () => (await status(arnsberg)).missingFiles === 0, 'Arnsberg has its file back', 30_000)
    const res = await download()
    expect(res.status).toBe(200)
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(hash)
    expect(sha256(readFileSync(blobPath(arnsberg)))).toBe(hash)
    expect(statusLines(await status(arnsberg), arnsberg.node.url).join('\n')).not.toMatch(/missing/)
    // By hash too: the blob index has its row again.
    expect((await fetch(`${arnsberg.node.url}/api/v1/files/${hash}`)).status).toBe(200)
  }, 90_000)
})
