// Regenerates entry-v1.json from a fixed seed. Run only when the wire format
// changes on purpose (`npm run vectors`); the tests check the committed file.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { canonicalize, EntrySigner, identityKeyFromSeed, peerIdOf, privateKeyToJwk, publicJwkOf, type EntryPayload } from '../src/index.js'

const seedHex = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60' // RFC 8032 test 1
const key = await identityKeyFromSeed(Buffer.from(seedHex, 'hex'))
const signer = await EntrySigner.create(key)
const publisher = peerIdOf(key)

const first: EntryPayload = {
  v: 1,
  publisher,
  datasetId: 'strassenschaeden-2026',
  seq: 1,
  prevHash: null,
  issuedAt: '2026-05-04T08:30:00.000Z',
  tombstone: false,
  dataset: {
    id: 'strassenschaeden-2026',
    title: 'Straßenschäden 2026',
    description: 'Erfassung von Schlaglöchern und Rissen im Stadtgebiet Soest, Befahrung Frühjahr 2026.',
    keywords: ['Straße', 'Schlagloch', 'Straßenzustand'],
    themes: ['TRAN', 'REGI'],
    license: 'dl-by-de/2.0',
    publisher: { name: 'Stadt Soest' },
    spatial: { bbox: [8.05, 51.54, 8.17, 51.6], ags: '05974040' },
    temporal: { start: '2026-03-01', end: '2026-04-30' },
    issued: '2026-05-04',
    contactPoint: { name: 'Tiefbauamt Soest', email: 'tiefbau@soest.example' },
    accrualPeriodicity: 'ANNUAL',
    distributions: [
      {
        id: 'schaeden-geojson',
        title: 'Schadstellen (GeoJSON)',
        format: 'GEOJSON',
        mediaType: 'application/geo+json',
        license: 'dl-by-de/2.0',
        byteSize: 11,
        sha256: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9'
      }
    ]
  }
}
const e1 = await signer.sign(first)
const tomb: EntryPayload = {
  v: 1,
  publisher,
  datasetId: 'strassenschaeden-2026',
  seq: 2,
  prevHash: e1.hash,
  issuedAt: '2026-06-01T12:00:00.000Z',
  tombstone: true
}
const e2 = await signer.sign(tomb)

const vectors = {
  description:
    'Catalog entry v1 test vectors: fixed Ed25519 seed, payloads, their RFC 8785 encoding, the compact JWS (EdDSA) and SHA-256 of the JWS. Ed25519 signatures are deterministic, so a correct implementation reproduces every field.',
  seedHex,
  peerId: publisher,
  privateJwk: privateKeyToJwk(key),
  publicJwk: publicJwkOf(key),
  entries: [e1, e2].map(e => ({ payload: e.payload, canonicalPayload: canonicalize(e.payload), jws: e.jws, hash: e.hash }))
}
const out = fileURLToPath(new URL('./entry-v1.json', import.meta.url))
writeFileSync(out, JSON.stringify(vectors, null, 2) + '\n')
console.log(`wrote ${out}`)
