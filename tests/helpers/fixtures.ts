import type { DatasetMetadataInput } from '@swf/protocol'

/** A complete, valid DCAT-AP.de dataset as a Kommune would publish it. */
export function sampleDataset(overrides: Partial<DatasetMetadataInput> = {}): DatasetMetadataInput {
  return {
    id: 'radwege-arnsberg',
    title: 'Radwegenetz Arnsberg',
    description: 'Alle ausgeschilderten Radwege im Stadtgebiet Arnsberg mit Belag und Steigung.',
    keywords: ['Radweg', 'Mobilität'],
    themes: ['TRAN'],
    license: 'dl-by-de/2.0',
    spatial: { bbox: [7.95, 51.35, 8.15, 51.45], ags: '05958004' },
    temporal: { start: '2025-01-01', end: '2026-12-31' },
    issued: '2026-01-15',
    modified: '2026-03-01T10:00:00Z',
    contactPoint: { name: 'Stadt Arnsberg, Mobilität', email: 'mobil@arnsberg.example' },
    landingPage: 'https://www.arnsberg.example/radwege',
    accrualPeriodicity: 'MONTHLY',
    ...overrides
  }
}
