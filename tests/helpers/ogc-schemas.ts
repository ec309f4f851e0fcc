import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'

/** The OGC API – Features Part 1 and Records schemas (vendored, OGC licence), each under its published URL: $refs resolve offline. */
const DIR = new URL('../fixtures/ogcapi/', import.meta.url).pathname
export const FEATURES_BASE = 'https://schemas.opengis.net/ogcapi/features/part1/1.0/openapi/schemas/'
export const RECORDS_BASE = 'https://schemas.opengis.net/ogcapi/records/part1/1.0/openapi/schemas/'

/**
 * How the OGC files say "or null", read as JSON Schema means it; nothing else
 * is changed. YAML reads an unquoted `type: null` (the OAS 3.1 spelling in
 * the Features files) as the null value, where JSON Schema means the string
 * "null". The Records files (OAS 3.0) spell it as a oneOf alternative
 * `{ type: object, nullable: true }`, which taken literally matches every
 * object, so that no record with a geometry, time or properties could pass
 * the oneOf: it stands for null.
 */
function nullTypeAsString(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullTypeAsString)
  if (typeof value !== 'object' || value === null) return value
  let node = value as Record<string, unknown>
  if (Array.isArray(node.oneOf)) {
    const alternatives = (node.oneOf as unknown[]).map(a =>
      typeof a === 'object' &&
      a !== null &&
      Object.keys(a).length === 2 &&
      (a as Record<string, unknown>).type === 'object' &&
      (a as Record<string, unknown>).nullable === true
        ? { type: 'null' }
        : a
    )
    node = { ...node, oneOf: alternatives }
  }
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === 'type' && v === null ? 'null' : k === 'type' && Array.isArray(v) ? v.map(t => t ?? 'null') : nullTypeAsString(v)
    ])
  )
}

export function ogcValidator(): { validate: (schema: string, doc: unknown) => string[] } {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
  for (const [sub, base] of [
    ['features', FEATURES_BASE],
    ['records', RECORDS_BASE]
  ] as const) {
    for (const name of readdirSync(join(DIR, sub))) {
      const schema = nullTypeAsString(parse(readFileSync(join(DIR, sub, name), 'utf8'))) as Record<string, unknown>
      ajv.addSchema({ ...schema, $id: base + name })
    }
  }
  return {
    /** Problems of `doc` under e.g. `features/collections.yaml`; [] when valid. */
    validate: (schema, doc) => {
      const [sub, name] = schema.split('/')
      const check = ajv.getSchema(`${sub === 'records' ? RECORDS_BASE : FEATURES_BASE}${name ?? ''}`)
      if (check === undefined) throw new Error(`no schema ${schema}`)
      return check(doc) ? [] : (check.errors ?? []).map(e => `${e.instancePath || '/'} ${e.message ?? ''} (${e.schemaPath})`)
    }
  }
}
