import { toFtsQuery } from '@swf/protocol'
import { CkanError } from './ckan-error.js'

// The parts of Solr's syntax that CKAN clients put into package_search's
// q, fq and sort: field clauses, OR lists, negation, ranges with date math.

export type SortField = 'score' | 'metadata_modified' | 'metadata_created' | 'title_string' | 'name' | 'id'
export interface SortClause {
  field: SortField
  dir: 'asc' | 'desc'
}

const SORT_FIELDS: Record<string, SortField> = {
  score: 'score',
  metadata_modified: 'metadata_modified',
  metadata_created: 'metadata_created',
  title_string: 'title_string',
  title: 'title_string',
  name: 'name',
  id: 'id'
}

/** `score desc, metadata_modified desc` → clauses; an unknown field is a 409 naming `sort`. */
export function parseSort(sort: string | undefined): SortClause[] {
  const text = sort === undefined || sort.trim() === '' ? 'score desc, metadata_modified desc' : sort
  return text.split(',').map(part => {
    const [name = '', dir = 'asc', ...rest] = part.trim().split(/\s+/)
    const field = SORT_FIELDS[name]
    if (field === undefined || rest.length > 0 || !['asc', 'desc'].includes(dir.toLowerCase())) {
      throw new CkanError(
        409,
        'Validation Error',
        `sort "${part.trim()}" is not "<field> asc|desc" with field one of ${Object.keys(SORT_FIELDS).join(', ')}`,
        'sort'
      )
    }
    return { field, dir: dir.toLowerCase() as 'asc' | 'desc' }
  })
}

/** Fields a filter clause may name, and what they mean here. */
export type TermField = 'organization' | 'tags' | 'res_format' | 'license_id' | 'groups'
export type DateField = 'metadata_modified' | 'metadata_created'
const TERM_FIELDS = new Set<string>(['organization', 'owner_org', 'tags', 'res_format', 'license_id', 'groups'])
const DATE_FIELDS = new Set<string>(['metadata_modified', 'metadata_created'])
// Every package here is an active public dataset: clauses on these match all.
const ALWAYS_TRUE = new Map<string, Set<string>>([
  ['dataset_type', new Set(['dataset'])],
  ['type', new Set(['dataset'])],
  ['state', new Set(['active'])],
  ['capacity', new Set(['public'])],
  ['private', new Set(['false'])]
])
/** Fielded text in q: the FTS5 column it searches. */
const TEXT_FIELDS: Record<string, string> = { title: 'title', notes: 'description', tags: 'keywords', text: '' }

export interface TermFilter {
  field: TermField
  values: string[]
  negate: boolean
}
export interface DateRange {
  field: DateField
  from?: string
  to?: string
}

export interface SolrFilter {
  terms: TermFilter[]
  ranges: DateRange[]
  /** An FTS5 expression, or undefined for "everything". */
  fts?: string
  /** A clause that can match nothing (e.g. `-dataset_type:dataset`). */
  none: boolean
}

const emptyFilter = (): SolrFilter => ({ terms: [], ranges: [], none: false })

/**
 * Clauses one of q and fq may hold, each value of an OR list and each word
 * counting as one (as Solr's maxBooleanClauses counts them). Every clause
 * becomes a condition of one SQL expression: both parameters at the maximum
 * stay far below SQLite's expression depth limit (1000), where a harvester's
 * fq of 1000 `-organization:…` clauses answered 500.
 */
export const MAX_SOLR_CLAUSES = 100

// field:value, field:"a b", field:[a TO b], field:{a TO b}, field:(a OR b), with +/- in front.
const CLAUSE =
  /([+-]?)([A-Za-z_][\w.]*):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|[^\s()]+)|(\bOR\b|\bAND\b|&&|\|\|)|([+-]?"(?:[^"\\]|\\.)*"|[^\s]+)/g

interface Clause {
  negate: boolean
  field?: string
  value: string
  op?: 'OR' | 'AND'
}

/** The clauses of q or fq; more than MAX_SOLR_CLAUSES is a 400 naming the parameter. */
function clauses(text: string, param: 'fq' | 'q'): Clause[] {
  const out: Clause[] = []
  let count = 0
  for (const m of text.matchAll(CLAUSE)) {
    if (m[4] !== undefined) {
      out.push({ negate: false, value: '', op: m[4] === 'OR' || m[4] === '||' ? 'OR' : 'AND' })
      continue
    }
    const c =
      m[2] !== undefined
        ? { negate: m[1] === '-', field: m[2], value: m[3]! }
        : { negate: m[5]!.startsWith('-'), value: m[5]!.replace(/^[+-]/, '') }
    count += c.field === undefined ? 1 : values(c.value).length
    if (count > MAX_SOLR_CLAUSES) {
      throw new CkanError(
        400,
        'Validation Error',
        `${param} may hold at most ${MAX_SOLR_CLAUSES} clauses (each value of an OR list and each word counts as one)`,
        param
      )
    }
    out.push(c)
  }
  return out
}

const unquote = (v: string): string => (v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v.replace(/\\(.)/g, '$1'))

/** `(a OR b)` → [a, b]; anything else → [value]. */
function values(v: string): string[] {
  if (!v.startsWith('(')) return [unquote(v)]
  return v
    .slice(1, -1)
    .split(/\s+OR\s+|\s+/)
    .filter(x => x !== '' && x !== 'OR')
    .map(unquote)
}

/**
 * fq (and the fielded parts of q): AND of clauses; `a:x OR a:y` on one field
 * is one clause with two values; `-field:value` excludes.
 */
export function parseFilter(fq: string | undefined, q: string | undefined, now = new Date()): SolrFilter {
  const out = emptyFilter()
  const add = (c: Clause, vals: string[], orWithPrevious: boolean, param: 'fq' | 'q'): void => {
    const field = c.field!
    const always = ALWAYS_TRUE.get(field)
    if (always !== undefined) {
      if (vals.every(v => always.has(v)) === c.negate) out.none = true
      return
    }
    if (DATE_FIELDS.has(field)) {
      if (c.negate || orWithPrevious) throw new CkanError(409, 'Validation Error', `${field} takes one range [FROM TO TO]`, param)
      out.ranges.push(dateRange(field as DateField, c.value, now, param))
      return
    }
    if (!TERM_FIELDS.has(field)) {
      throw new CkanError(
        409,
        'Validation Error',
        `field "${field}" is not supported in ${param} (organization, tags, res_format, license_id, groups, metadata_modified, metadata_created)`,
        param
      )
    }
    const f = (field === 'owner_org' ? 'organization' : field) as TermField
    const last = out.terms.at(-1)
    if (orWithPrevious) {
      if (last === undefined || last.field !== f || last.negate || c.negate) {
        throw new CkanError(409, 'Validation Error', 'OR joins clauses of one field only (organization:a OR organization:b)', param)
      }
      last.values.push(...vals)
      return
    }
    out.terms.push({ field: f, values: vals, negate: c.negate })
  }

  walk(fq ?? '', 'fq')

  const words: string[] = []
  const columns: string[] = []
  if (q !== undefined && q.trim() !== '' && q.trim() !== '*:*') {
    walk(q, 'q', c => {
      if (c.field === undefined) {
        if (c.negate) throw new CkanError(409, 'Validation Error', 'negated words are not supported in q; use fq=-field:value', 'q')
        words.push(c.value)
        return true
      }
      const column = TEXT_FIELDS[c.field]
      if (column === undefined) return false
      const expr = toFtsQuery(values(c.value).join(' '))
      if (expr === null) return true
      if (c.negate) throw new CkanError(409, 'Validation Error', `negated ${c.field}: is not supported in q`, 'q')
      columns.push(column === '' ? `(${expr})` : `${column} : (${expr})`)
      return true
    })
  }
  const free = toFtsQuery(words.join(' '))
  const parts = [...(free === null ? [] : [free]), ...columns]
  if (parts.length > 0) out.fts = parts.join(' AND ')
  return out

  function walk(text: string, param: 'fq' | 'q', onText?: (c: Clause) => boolean): void {
    let or = false
    for (const c of clauses(text, param)) {
      if (c.op !== undefined) {
        or = c.op === 'OR'
        continue
      }
      const orWithPrevious = or
      or = false
      if (onText?.(c) === true) continue
      if (c.field === undefined) {
        if (c.value === '*:*') continue
        throw new CkanError(409, 'Validation Error', `${param} clause "${c.value}" names no field (field:value)`, param)
      }
      add(c, values(c.value), orWithPrevious, param)
    }
  }
}

function dateRange(field: DateField, value: string, now: Date, param: 'fq' | 'q'): DateRange {
  const m = /^[[{]\s*(\S+)\s+TO\s+(\S+)\s*[\]}]$/.exec(value)
  if (m === null)
    throw new CkanError(409, 'Validation Error', `${field} takes a range like [2026-01-01T00:00:00Z TO *] or [NOW-1DAY TO NOW]`, param)
  const bound = (v: string): string | undefined => (v === '*' ? undefined : solrDate(v, now, param))
  return { field, from: bound(m[1]!), to: bound(m[2]!) }
}

const UNITS: Record<string, 'y' | 'mo' | 'd' | 'h' | 'mi' | 's' | 'ms'> = {
  YEAR: 'y',
  YEARS: 'y',
  MONTH: 'mo',
  MONTHS: 'mo',
  DAY: 'd',
  DAYS: 'd',
  DATE: 'd',
  HOUR: 'h',
  HOURS: 'h',
  MINUTE: 'mi',
  MINUTES: 'mi',
  SECOND: 's',
  SECONDS: 's',
  MILLI: 'ms',
  MILLIS: 'ms',
  MILLISECOND: 'ms',
  MILLISECONDS: 'ms'
}

/** A Solr date (`2026-01-01T00:00:00Z`, `NOW`, with math `-1DAY` and rounding `/DAY`) as ISO 8601 UTC. */
export function solrDate(text: string, now: Date, param: 'fq' | 'q' = 'fq'): string {
  const bad = (): never => {
    throw new CkanError(409, 'Validation Error', `"${text}" is not a Solr date (2026-01-01T00:00:00Z, NOW, NOW-1DAY, NOW/DAY)`, param)
  }
  const m = /^(NOW|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)((?:[+-/]\d*[A-Z]+)*)$/.exec(text)
  if (m === null) return bad()
  const d = m[1] === 'NOW' ? new Date(now) : new Date(m[1]!)
  if (Number.isNaN(d.getTime())) return bad()
  for (const op of m[2]!.matchAll(/([+-/])(\d*)([A-Z]+)/g)) {
    const unit = UNITS[op[3]!] ?? bad()
    if (op[1] === '/') {
      if (op[2] !== '') bad()
      roundDown(d, unit)
    } else {
      if (op[2] === '') bad()
      const n = Number(op[2]) * (op[1] === '-' ? -1 : 1)
      if (unit === 'y') d.setUTCFullYear(d.getUTCFullYear() + n)
      else if (unit === 'mo') d.setUTCMonth(d.getUTCMonth() + n)
      else d.setTime(d.getTime() + n * { d: 86_400_000, h: 3_600_000, mi: 60_000, s: 1000, ms: 1 }[unit])
    }
  }
  if (Number.isNaN(d.getTime())) return bad()
  return d.toISOString()
}

function roundDown(d: Date, unit: string): void {
  const order = ['y', 'mo', 'd', 'h', 'mi', 's', 'ms']
  const keep = order.indexOf(unit)
  if (keep < 1) d.setUTCMonth(0)
  if (keep < 2) d.setUTCDate(1)
  if (keep < 3) d.setUTCHours(0)
  if (keep < 4) d.setUTCMinutes(0)
  if (keep < 5) d.setUTCSeconds(0)
  if (keep < 6) d.setUTCMilliseconds(0)
}
