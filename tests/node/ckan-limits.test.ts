import { MAX_SOLR_CLAUSES } from '@swf/node/ckan/solr-syntax'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleDataset } from '../helpers/fixtures.js'
import { json, startTestNode, type TestNode } from '../helpers/node.js'

describe('CKAN package_search bounds its Solr queries', () => {
  let t: TestNode
  // ckanapi POSTs its parameters as JSON: the body limit (64 KiB), not the URL's, bounds them.
  const search = async (params: Record<string, string>): Promise<{ status: number; body: any }> => {
    const res = await t.api('/api/3/action/package_search', { ...json(params), auth: false })
    return { status: res.status, body: await res.json() }
  }
  const negated = (n: number, field = 'organization'): string => Array.from({ length: n }, (_, i) => `-${field}:x${i}`).join(' ')

  beforeAll(async () => {
    t = await startTestNode()
    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'radwege', keywords: ['Radweg'] })))).status).toBe(201)
    expect((await t.api('/api/v1/datasets', json(sampleDataset({ id: 'parken', keywords: ['Parken'] })))).status).toBe(201)
  })
  afterAll(async () => {
    await t.cleanup()
  })

  it('refuses an fq of 1000 negated clauses with a 400 naming fq (before: 500, SQLite "Expression tree is too large")', async () => {
    for (const field of ['organization', 'tags']) {
      const { status, body } = await search({ fq: negated(1000, field) })
      expect(status).toBe(400)
      expect(body.success).toBe(false)
      expect(body.error.__type).toBe('Validation Error')
      expect(body.error.fq).toEqual([expect.stringContaining(`at most ${MAX_SOLR_CLAUSES}`)])
    }
  })

  it('excludes nothing for an unknown organization (before: -organization:x excluded every package)', async () => {
    const { status, body } = await search({ fq: '-organization:x0' })
    expect(status).toBe(200)
    expect(body.result.count).toBe(2)
  })

  it('answers the largest allowed fq, and the largest in both fq and q at once', async () => {
    expect(MAX_SOLR_CLAUSES).toBe(100)
    // Unknown organizations are dropped before SQL; tags and licences each become a condition.
    const fq = await search({ fq: negated(MAX_SOLR_CLAUSES, 'tags') })
    expect(fq.status).toBe(200)
    expect(fq.body.result.count).toBe(2)
    const both = await search({ fq: negated(MAX_SOLR_CLAUSES, 'tags'), q: negated(MAX_SOLR_CLAUSES, 'license_id') })
    expect(both.status).toBe(200)
    expect(both.body.result.count).toBe(2)
    const or = await search({ fq: `tags:(${Array.from({ length: MAX_SOLR_CLAUSES - 1 }, (_, i) => `t${i}`).join(' OR ')} OR radweg)` })
    expect(or.status).toBe(200)
    expect(or.body.result.count).toBe(1)
  })

  it('counts every value of an OR list and every word of q', async () => {
    const values = Array.from({ length: MAX_SOLR_CLAUSES + 1 }, (_, i) => `t${i}`)
    for (const fq of [`tags:(${values.join(' OR ')})`, values.map(v => `tags:${v}`).join(' OR ')]) {
      const { status, body } = await search({ fq })
      expect(status).toBe(400)
      expect(body.error.fq).toEqual([expect.stringContaining(`at most ${MAX_SOLR_CLAUSES}`)])
    }
    const { status, body } = await search({ q: values.join(' ') })
    expect(status).toBe(400)
    expect(body.error.q).toEqual([expect.stringContaining(`at most ${MAX_SOLR_CLAUSES}`)])
    expect((await search({ q: values.slice(1).join(' ') })).status).toBe(200)
  })
})
