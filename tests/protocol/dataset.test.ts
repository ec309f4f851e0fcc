import { describe, expect, it } from 'vitest'
import { datasetMetadataSchema, slugify } from '@swf/protocol'
import { sampleDataset } from '../helpers/fixtures.js'

function firstIssuePath(input: unknown): string {
  const r = datasetMetadataSchema.safeParse(input)
  expect(r.success).toBe(false)
  return r.error?.issues[0]?.path.join('.') ?? ''
}

describe('dataset metadata (DCAT-AP.de)', () => {
  it('accepts complete metadata and applies defaults to a minimal one', () => {
    expect(datasetMetadataSchema.parse(sampleDataset()).title).toBe('Radwegenetz Arnsberg')
    const minimal = datasetMetadataSchema.parse({ id: 'x1', title: 'T', description: 'D', license: 'cc-zero' })
    expect(minimal).toEqual({ id: 'x1', title: 'T', description: 'D', license: 'cc-zero', keywords: [], themes: [], distributions: [] })
  })

  it('accepts a distribution with file hash and size', () => {
    const d = datasetMetadataSchema.parse(
      sampleDataset({
        distributions: [
          { id: 'csv', title: 'CSV', format: 'CSV', mediaType: 'text/csv', license: 'cc-by/4.0', byteSize: 3, sha256: 'a'.repeat(64) }
        ]
      })
    )
    expect(d.distributions[0]?.byteSize).toBe(3)
  })

  const bad: Array<[string, unknown, string]> = [
    ['missing title', { ...sampleDataset(), title: undefined }, 'title'],
    ['empty description', sampleDataset({ description: '   ' }), 'description'],
    ['unknown licence', sampleDataset({ license: 'wtfpl' }), 'license'],
    ['unknown theme', sampleDataset({ themes: ['SPORT' as never] }), 'themes.0'],
    ['longitude out of range', sampleDataset({ spatial: { bbox: [190, 51, 191, 52] } }), 'spatial.bbox.0'],
    ['latitude out of range', sampleDataset({ spatial: { bbox: [7, -91, 8, 52] } }), 'spatial.bbox.1'],
    ['inverted bbox', sampleDataset({ spatial: { bbox: [8, 51, 7, 52] } }), 'spatial.bbox'],
    ['AGS with 7 digits', sampleDataset({ spatial: { ags: '0595800' } }), 'spatial.ags'],
    ['empty spatial', sampleDataset({ spatial: {} }), 'spatial'],
    ['temporal end before start', sampleDataset({ temporal: { start: '2026-02-01', end: '2026-01-01' } }), 'temporal.end'],
    ['bad date', sampleDataset({ issued: '15.01.2026' }), 'issued'],
    ['bad e-mail', sampleDataset({ contactPoint: { name: 'X', email: 'not-mail' } }), 'contactPoint.email'],
    ['bad landing page', sampleDataset({ landingPage: 'nope' }), 'landingPage'],
    ['path traversal id', sampleDataset({ id: '../../etc/passwd' }), 'id'],
    ['upper-case id', sampleDataset({ id: 'Radwege' }), 'id'],
    ['overlong id', sampleDataset({ id: 'a'.repeat(101) }), 'id'],
    ['unknown field', { ...sampleDataset(), licence: 'cc-zero' }, ''],
    [
      'bad sha256',
      sampleDataset({
        distributions: [{ id: 'd', title: 'D', format: 'CSV', mediaType: 'text/csv', license: 'cc-zero', byteSize: 1, sha256: 'XYZ' }]
      }),
      'distributions.0.sha256'
    ],
    [
      'sha256 without size',
      sampleDataset({
        distributions: [{ id: 'd', title: 'D', format: 'CSV', mediaType: 'text/csv', license: 'cc-zero', sha256: 'a'.repeat(64) }]
      }),
      'distributions.0.sha256'
    ],
    [
      'lower-case format',
      sampleDataset({ distributions: [{ id: 'd', title: 'D', format: 'csv', mediaType: 'text/csv', license: 'cc-zero' }] }),
      'distributions.0.format'
    ],
    [
      'duplicate distribution id',
      sampleDataset({
        distributions: [
          { id: 'd', title: 'D', format: 'CSV', mediaType: 'text/csv', license: 'cc-zero' },
          { id: 'd', title: 'E', format: 'CSV', mediaType: 'text/csv', license: 'cc-zero' }
        ]
      }),
      'distributions.1.id'
    ]
  ]
  it.each(bad)('rejects %s, naming the field', (_name, input, path) => {
    expect(firstIssuePath(input)).toBe(path)
  })

  it('slugifies German titles', () => {
    expect(slugify('Straßenschäden Öffentlicher Raum 2026')).toBe('strassenschaeden-oeffentlicher-raum-2026')
    expect(slugify('!!!')).toBe('dataset')
    expect(slugify('x'.repeat(300))).toHaveLength(100)
  })
})

describe('links in metadata', () => {
  it('refuses javascript:, data: and URLs with characters RDF cannot carry, naming the field', () => {
    for (const bad of [
      'javascript:alert(1)',
      'data:text/html,<b>x</b>',
      'https://example.org/{x}',
      'https://example.org/a"b',
      'https://example.org/a|b',
      'https://example.org/a b',
      'file:///etc/passwd'
    ]) {
      const r = datasetMetadataSchema.safeParse(sampleDataset({ landingPage: bad }))
      expect(r.success, bad).toBe(false)
      expect(r.error?.issues[0]?.path, bad).toEqual(['landingPage'])
    }
    for (const good of ['https://www.soest.de/daten?x=1&y=2', 'http://example.org/a%20b', 'ftp://ftp.example.org/data.csv']) {
      expect(datasetMetadataSchema.safeParse(sampleDataset({ landingPage: good })).success, good).toBe(true)
    }
  })
})
