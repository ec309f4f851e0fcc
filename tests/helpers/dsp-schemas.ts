import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2019 } from 'ajv/dist/2019.js'

/** The Dataspace Protocol 2025-1 JSON Schemas (vendored, Apache-2.0), each registered under its $id so $refs resolve offline. */
export const DSP_SCHEMA_DIR = new URL('../fixtures/dsp-2025-1/', import.meta.url).pathname
const BASE = 'https://w3id.org/dspace/2025/1/'

function schemaFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'example' ? [] : schemaFiles(path)
    return name.endsWith('-schema.json') ? [path] : []
  })
}

export function dspValidator(): { validate: (schema: string, doc: unknown) => string[] } {
  const ajv = new Ajv2019({ strict: false, allErrors: true })
  for (const file of schemaFiles(DSP_SCHEMA_DIR)) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object)
  return {
    /** Problems of `doc` under e.g. `catalog/catalog-schema.json`; [] when valid. */
    validate: (schema, doc) => {
      const check = ajv.getSchema(BASE + schema)
      if (check === undefined) throw new Error(`no schema ${schema}`)
      return check(doc) ? [] : (check.errors ?? []).map(e => `${e.instancePath || '/'} ${e.message ?? ''} (${e.schemaPath})`)
    }
  }
}
