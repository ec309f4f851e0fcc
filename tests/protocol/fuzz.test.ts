import { describe, expect, it } from 'vitest'
import {
  CodecError,
  EntrySigner,
  EntryVerifier,
  InvalidEntryError,
  MAX_ENTRY_BYTES,
  MAX_FRAME_BYTES,
  datasetMetadataSchema,
  decodeDataQueryRequest,
  decodeDataQueryResponse,
  decodeFetchHeader,
  decodeFetchRequest,
  decodeGossipEntry,
  decodeSearchRequest,
  decodeSearchResponse,
  decodeSyncNext,
  decodeSyncPage,
  decodeSyncRequest,
  generateIdentityKey,
  jsonDepthExceeds,
  MAX_JSON_DEPTH
} from '@swf/protocol'
import { fuzzFrames } from '../helpers/fuzz.js'
import { sampleDataset } from '../helpers/fixtures.js'
import { tally } from '../helpers/tally.js'

const CASES_PER_DECODER = 2_000
const SEED = 20261122

const signer = await EntrySigner.create(await generateIdentityKey())
const entry = await signer.sign({
  v: 1,
  publisher: signer.peerId,
  datasetId: 'fuzz',
  seq: 1,
  prevHash: null,
  issuedAt: '2026-11-22T00:00:00.000Z',
  tombstone: false,
  dataset: datasetMetadataSchema.parse(sampleDataset({ id: 'fuzz' }))
})

// Every decoder of the wire with a few valid frames to mutate.
const DECODERS: Array<{ name: string; decode: (b: Uint8Array) => unknown; valid: unknown[] }> = [
  {
    name: 'sync-request',
    decode: decodeSyncRequest,
    valid: [
      { type: 'sync-request', have: {} },
      { type: 'sync-request', have: { [signer.peerId]: 3 } }
    ]
  },
  {
    name: 'sync-page',
    decode: decodeSyncPage,
    valid: [
      { type: 'sync-page', entries: [entry.jws], done: false, remaining: 1 },
      { type: 'sync-page', entries: [], done: true }
    ]
  },
  { name: 'sync-next', decode: decodeSyncNext, valid: [{ type: 'sync-next' }] },
  {
    name: 'search-request',
    decode: decodeSearchRequest,
    valid: [
      { type: 'search', query: { q: 'Radweg', theme: ['TRAN'], limit: 5 } },
      { type: 'search', query: { bbox: [7.9, 51.3, 8.2, 51.5] } }
    ]
  },
  {
    name: 'search-result',
    decode: decodeSearchResponse,
    valid: [{ type: 'search-result', total: 1, hits: [{ jws: entry.jws, score: 1.5 }] }]
  },
  {
    name: 'data-query',
    decode: decodeDataQueryRequest,
    valid: [{ type: 'data-query', query: { bbox: [7.9, 51.3, 8.2, 51.5], where: [{ field: 'art', op: 'eq', value: 'Schlagloch' }] } }]
  },
  {
    name: 'data-result',
    decode: decodeDataQueryResponse,
    valid: [{ type: 'data-result', matches: [{ datasetId: 'a', distributionId: 'b', format: 'CSV', row: { x: '1' } }], truncated: false }]
  },
  { name: 'fetch', decode: decodeFetchRequest, valid: [{ type: 'fetch', sha256: 'a'.repeat(64) }] },
  { name: 'fetch-header', decode: decodeFetchHeader, valid: [{ type: 'fetch-header', status: 'ok', size: 10 }] }
]

describe('fuzzed frames against every decoder', () => {
  for (const { name, decode, valid } of DECODERS) {
    it(`${name}: ${CASES_PER_DECODER} hostile frames each end in a CodecError or a well-formed message, nothing else`, () => {
      const outcomes = { rejected: 0, accepted: 0 }
      let i = 0
      for (const c of fuzzFrames(valid, CASES_PER_DECODER, SEED + name.length, MAX_FRAME_BYTES)) {
        i++
        try {
          const msg = decode(c.bytes)
          // What passes must be exactly what the schema allows: re-decoding its encoding agrees.
          expect(decode(new TextEncoder().encode(JSON.stringify(msg)))).toEqual(msg)
          outcomes.accepted++
        } catch (err) {
          if (!(err instanceof CodecError)) throw new Error(`case ${i} (${c.kind}, seed ${SEED}): ${String(err)}`, { cause: err })
          outcomes.rejected++
        }
      }
      // Oversized, 10 MB, deep-nested, random and invalid-UTF-8 frames never decode.
      expect(outcomes.rejected).toBeGreaterThan(CASES_PER_DECODER * 0.6)
      tally('fuzz cases: decoders', CASES_PER_DECODER)
    })
  }

  it(`gossip entries: ${CASES_PER_DECODER} hostile messages are refused by decodeGossipEntry or the verifier, never stored as valid`, async () => {
    const verifier = new EntryVerifier()
    let refused = 0
    // The gossip payload is the raw JWS text, not JSON.
    for (const c of fuzzFrames([entry.jws], CASES_PER_DECODER, SEED, MAX_ENTRY_BYTES, true)) {
      try {
        const jws = decodeGossipEntry(c.bytes)
        await verifier.verify(jws)
        // Only the untouched entry may verify.
        expect(jws).toBe(entry.jws)
      } catch (err) {
        if (!(err instanceof CodecError) && !(err instanceof InvalidEntryError)) throw err
        refused++
      }
    }
    expect(refused).toBe(CASES_PER_DECODER)
    tally('fuzz cases: decoders', CASES_PER_DECODER)
  })
})

describe('jsonDepthExceeds (guard found by fuzzing: JSON.parse of 1 MB of brackets took ~0.5 s)', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
  it('counts only structural brackets, not those inside strings or after escapes', () => {
    expect(jsonDepthExceeds(bytes('[[[1]]]'), 3)).toBe(false)
    expect(jsonDepthExceeds(bytes('[[[[1]]]]'), 3)).toBe(true)
    expect(jsonDepthExceeds(bytes('{"a":"[[[[[[[[","b":"\\"[[[[[["}'), 2)).toBe(false)
    expect(jsonDepthExceeds(bytes('{"a":{"b":{"c":{}}}}'), 3)).toBe(true)
  })
  it('a GeoJSON multipolygon inside a data-query result is well within the limit', () => {
    const frame = {
      type: 'data-result',
      truncated: false,
      matches: [
        {
          datasetId: 'a',
          distributionId: 'b',
          format: 'GEOJSON',
          feature: {
            type: 'Feature',
            properties: {},
            geometry: {
              type: 'MultiPolygon',
              coordinates: [
                [
                  [
                    [7.9, 51.3],
                    [8, 51.4],
                    [7.9, 51.3]
                  ]
                ]
              ]
            }
          }
        }
      ]
    }
    expect(decodeDataQueryResponse(bytes(JSON.stringify(frame)))).toEqual(frame)
    expect(() => decodeSyncRequest(bytes('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1)))).toThrow(/deeper/)
  })
})
