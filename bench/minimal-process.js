// The bench's comparator for a node's idle footprint: the least a process can
// hold that serves HTTP with hono, keeps a SQLite file open and runs a libp2p
// host with the node's transports (TCP, noise, yamux, identify, ping,
// gossipsub). Plain JavaScript, started with the node's V8 flags.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import '@swf/protocol/polyfills'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import Database from 'better-sqlite3'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'

const dir = mkdtempSync(join(tmpdir(), 'swf-minimal-'))
const db = new Database(join(dir, 'x.sqlite'))
db.pragma('journal_mode = WAL')
db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)')
const app = new Hono().get('/', c => c.json({ n: db.prepare('SELECT count(*) AS n FROM t').get() }))
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
const host = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), ping: ping(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
})
host.services.pubsub.subscribe('swf-minimal')
console.log('minimal process is running')
process.on('SIGTERM', () => {
  void host.stop().then(() => {
    server.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
})
