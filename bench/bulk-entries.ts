import { createPrivateKey, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { base64url } from 'jose'
import { canonicalize, ENTRY_JWS_TYP, sha256Hex, type DatasetMetadata, type EntryPayload, type SignedEntry } from '@swf/protocol'
import { openDatabase } from '@swf/node/db/open'
import { EntryStore } from '@swf/node/services/entry-store'

/**
 * Gives a node (not running) `count` datasets of its own, signed with its
 * key. Signs with node:crypto directly: Ed25519 is deterministic and header
 * and payload are canonical, so the JWS is byte-identical to what jose
 * writes (the committed test vectors check that path) — only faster.
 */
export function fillNode(dataDir: string, count: number, onProgress?: (done: number) => void): { avgEntryBytes: number } {
  const jwk = JSON.parse(readFileSync(join(dataDir, 'node-key.json'), 'utf8')) as import('node:crypto').JsonWebKey & { kid: string }
  const key = createPrivateKey({ key: jwk, format: 'jwk' })
  const publisher = jwk.kid
  const header = base64url.encode(canonicalize({ alg: 'EdDSA', kid: publisher, typ: ENTRY_JWS_TYP }))
  const db = openDatabase(join(dataDir, 'node.sqlite'))
  const store = new EntryStore(db)
  const themes = ['TRAN', 'ENVI', 'SOCI', 'EDUC', 'ECON', 'GOVE', 'REGI']
  const words = [
    'Radweg',
    'Straße',
    'Kita',
    'Parken',
    'Haushalt',
    'Luftqualität',
    'Lärm',
    'Baustelle',
    'Friedhof',
    'Spielplatz',
    'Schule',
    'Wahl'
  ]
  let prev: string | null = null
  let bytes = 0
  let batch: SignedEntry[] = []
  for (let seq = 1; seq <= count; seq++) {
    const w = words[seq % words.length]!
    const minLon = 7.5 + (seq % 100) / 100
    const minLat = 51.0 + (seq % 70) / 100
    const payload: EntryPayload = {
      v: 1,
      publisher,
      datasetId: `datensatz-${seq}`,
      seq,
      prevHash: prev,
      issuedAt: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
      tombstone: false,
      dataset: {
        id: `datensatz-${seq}`,
        title: `${w} Messreihe ${seq}`,
        description: `Datensatz ${seq} zum Thema ${w}: Standorte, Messwerte und Erläuterungen der Kommune, jährlich aktualisiert.`,
        keywords: [w, 'Beispiel'],
        themes: [themes[seq % themes.length]!] as DatasetMetadata['themes'],
        license: seq % 3 === 0 ? 'cc-by/4.0' : 'dl-by-de/2.0',
        spatial: { bbox: [minLon, minLat, minLon + 0.05, minLat + 0.03] },
        modified: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
        distributions: [
          {
            id: 'daten',
            title: 'Daten (CSV)',
            format: 'CSV',
            mediaType: 'text/csv',
            license: 'dl-by-de/2.0',
            accessURL: `https://daten.example/${seq}.csv`
          }
        ]
      }
    }
    const body = base64url.encode(canonicalize(payload))
    const jws = `${header}.${body}.${base64url.encode(sign(null, Buffer.from(`${header}.${body}`), key))}`
    const hash = sha256Hex(jws)
    batch.push({ jws, hash, payload })
    bytes += jws.length
    prev = hash
    if (batch.length === 5000) {
      store.store(batch)
      batch = []
      onProgress?.(seq)
    }
  }
  if (batch.length > 0) store.store(batch)
  db.$client.close()
  return { avgEntryBytes: bytes / count }
}
