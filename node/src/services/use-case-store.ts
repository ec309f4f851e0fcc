import { foldGerman, type UseCase } from '@swf/protocol'
import type { NodeDb } from '../db/open.js'

/** A use case as held: the signed body and where it comes from. */
export interface UseCaseRecord {
  publisher: string
  useCase: UseCase
  entry: { seq: number; hash: string; issuedAt: string }
}

export interface UseCaseFilter {
  /** Words, each found (folded, case-insensitive) in title, description, problem or needs. */
  words?: string[]
  status?: string
  theme?: string
  publisher?: string
  /** Only use cases that take over another (true) or only originals (false). */
  takeOvers?: boolean
}

interface Row {
  publisher: string
  use_case_id: string
  entry_hash: string
  seq: number
  issued_at: string
  body: string
}

const record = (r: Row): UseCaseRecord => ({
  publisher: r.publisher,
  useCase: JSON.parse(r.body) as UseCase,
  entry: { seq: r.seq, hash: r.entry_hash, issuedAt: r.issued_at }
})

/** Every use case the node holds (own and synced): the only SQL over use_cases besides the entry store's writes. */
export class UseCaseStore {
  constructor(private readonly db: NodeDb) {
    // Words meet text as search does: umlauts folded, any case.
    db.$client.function('swf_fold', { deterministic: true }, (text: unknown) =>
      foldGerman(typeof text === 'string' ? text : '').toLowerCase()
    )
  }

  get(publisher: string, id: string): UseCaseRecord | undefined {
    const r = this.db.$client
      .prepare('SELECT * FROM use_cases WHERE publisher = ? AND use_case_id = ? AND tombstone = 0')
      .get(publisher, id) as Row | undefined
    return r === undefined ? undefined : record(r)
  }

  /** Whether the key names a use case, live or deleted (ids are shared with datasets). */
  exists(publisher: string, id: string): { tombstone: boolean } | undefined {
    const r = this.db.$client.prepare('SELECT tombstone FROM use_cases WHERE publisher = ? AND use_case_id = ?').get(publisher, id) as
      { tombstone: number } | undefined
    return r === undefined ? undefined : { tombstone: r.tombstone === 1 }
  }

  /** Live use cases, newest first; `limit` ≤ 500, `offset` for pages. */
  list(filter: UseCaseFilter, limit: number, offset = 0): { items: UseCaseRecord[]; total: number } {
    const where = ['tombstone = 0']
    const params: unknown[] = []
    if (filter.publisher !== undefined) {
      where.push('publisher = ?')
      params.push(filter.publisher)
    }
    if (filter.status !== undefined) {
      where.push("json_extract(body, '$.status') = ?")
      params.push(filter.status)
    }
    if (filter.theme !== undefined) {
      where.push("EXISTS (SELECT 1 FROM json_each(body, '$.needs.themes') t WHERE t.value = ?)")
      params.push(filter.theme)
    }
    if (filter.takeOvers !== undefined) where.push(filter.takeOvers ? 'takes_over_id IS NOT NULL' : 'takes_over_id IS NULL')
    for (const w of (filter.words ?? []).map(x =>
      foldGerman(x)
        .toLowerCase()
        .replace(/[%_\\]/g, '')
    )) {
      where.push(
        "swf_fold(json_extract(body, '$.title') || ' ' || json_extract(body, '$.description') || ' ' || json_extract(body, '$.problem')) LIKE ?"
      )
      params.push(`%${w}%`)
    }
    const sql = `FROM use_cases WHERE ${where.join(' AND ')}`
    const total = (this.db.$client.prepare(`SELECT count(*) AS n ${sql}`).get(...params) as { n: number }).n
    const rows = this.db.$client
      .prepare(`SELECT * ${sql} ORDER BY issued_at DESC, publisher, use_case_id LIMIT ? OFFSET ?`)
      .all(...params, limit, offset) as Row[]
    return { items: rows.map(record), total }
  }

  /** Every live use case of one publisher, by id (a key rotation re-publishes them). */
  liveOf(publisher: string): UseCaseRecord[] {
    return (
      this.db.$client.prepare('SELECT * FROM use_cases WHERE publisher = ? AND tombstone = 0 ORDER BY use_case_id').all(publisher) as Row[]
    ).map(record)
  }

  /** Publishers of live use cases, with how many each has, most first. */
  countsByPublisher(): Array<{ publisher: string; count: number }> {
    return this.db.$client
      .prepare('SELECT publisher, count(*) AS count FROM use_cases WHERE tombstone = 0 GROUP BY publisher ORDER BY count DESC, publisher')
      .all() as Array<{ publisher: string; count: number }>
  }

  /** The live take-overs of a use case. */
  takeOversOf(publisher: string, id: string): UseCaseRecord[] {
    return (
      this.db.$client
        .prepare('SELECT * FROM use_cases WHERE takes_over_publisher = ? AND takes_over_id = ? AND tombstone = 0 ORDER BY issued_at')
        .all(publisher, id) as Row[]
    ).map(record)
  }

  /** Live use cases (originals and take-overs) that name a dataset. */
  usingDataset(publisher: string, datasetId: string): UseCaseRecord[] {
    return (
      this.db.$client
        .prepare(
          `SELECT DISTINCT u.* FROM use_cases u, json_each(u.body, '$.datasets') d
           WHERE u.tombstone = 0 AND json_extract(d.value, '$.publisher') = ? AND json_extract(d.value, '$.datasetId') = ?
           ORDER BY u.issued_at DESC`
        )
        .all(publisher, datasetId) as Row[]
    ).map(record)
  }
}
