import { describe, expect, it } from 'vitest'
import { entryPayloadSchema, MAX_USE_CASE_IMAGE_BYTES, useCaseSchema } from '@swf/protocol'

const PEER = '12D3KooWRF6Fp7P1XiNpBKv5PVa35v6CjPUdGuZpG2TPyP6QYdTz'
const useCase = {
  id: 'radrouten-app',
  title: 'Radrouten-App',
  description: 'Zeigt die Radrouten.',
  problem: 'Niemand fand die Routen.',
  status: 'pilot',
  datasets: [{ role: 'Radrouten', publisher: PEER, datasetId: 'radrouten' }]
}
const entry = { v: 1, publisher: PEER, datasetId: 'radrouten-app', seq: 2, prevHash: 'a'.repeat(64), issuedAt: '2026-11-24T10:00:00.000Z' }
const problems = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }): string[] =>
  r.success ? [] : r.error!.issues.map(i => `${i.path.join('.')}: ${i.message}`)

describe('use-case entries', () => {
  it('carry a use case under kind "usecase", and nothing else', () => {
    expect(problems(entryPayloadSchema.safeParse({ ...entry, tombstone: false, kind: 'usecase', useCase }))).toEqual([])
    expect(problems(entryPayloadSchema.safeParse({ ...entry, tombstone: true, kind: 'usecase' }))).toEqual([])
    expect(problems(entryPayloadSchema.safeParse({ ...entry, tombstone: false, useCase }))).toContain('useCase: not in a dataset entry')
    expect(problems(entryPayloadSchema.safeParse({ ...entry, tombstone: false, kind: 'usecase' }))).toContain(
      'useCase: required unless tombstone'
    )
    expect(problems(entryPayloadSchema.safeParse({ ...entry, tombstone: true, kind: 'usecase', useCase }))).toContain(
      'useCase: a tombstone carries no useCase'
    )
    expect(
      problems(entryPayloadSchema.safeParse({ ...entry, tombstone: false, kind: 'usecase', useCase: { ...useCase, id: 'x' } }))
    ).toContain('useCase.id: must equal datasetId')
    expect(problems(entryPayloadSchema.safeParse({ ...entry, tombstone: false, kind: 'dataset', useCase })).length).toBeGreaterThan(0)
  })

  it('refuse a dataset named twice for one role, an unknown status and an oversize image', () => {
    expect(problems(useCaseSchema.safeParse({ ...useCase, datasets: [...useCase.datasets, ...useCase.datasets] }))).toContain(
      'datasets.1: listed twice'
    )
    expect(problems(useCaseSchema.safeParse({ ...useCase, status: 'fertig' })).join()).toMatch(/^status: one of idea, pilot, in-operation/)
    const image = { sha256: 'b'.repeat(64), byteSize: MAX_USE_CASE_IMAGE_BYTES + 1, mediaType: 'image/png', title: 'Karte' }
    expect(problems(useCaseSchema.safeParse({ ...useCase, images: [image] })).join()).toMatch(/^images\.0\.byteSize/)
  })
})
