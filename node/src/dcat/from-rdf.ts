import { Store, type Quad, type Term } from 'n3'
import {
  DATA_THEMES,
  datasetMetadataSchema,
  FORMAT_BY_MEDIA_TYPE,
  FREQUENCIES,
  slugify,
  type DatasetMetadata,
  type DatasetMetadataInput
} from '@swf/protocol'
import { ValidationError } from '../errors.js'
import { geometryBbox } from '../spatial/extent.js'
import { UNLISTED_LICENSE } from './to-rdf.js'
import { agsOfGeocoding, readDate, readEmail, readLicense } from './import-repairs.js'
import { DATA_THEME, FILE_TYPE, FREQUENCY, IANA_MEDIA_TYPES, NS, POLITICAL_GEOCODING } from './vocab.js'

export interface ImportedRecord {
  iri: string
  metadata: DatasetMetadata
}

export interface SkippedRecord {
  iri: string
  reason: string
}

/** A field of an imported record that was repaired, kept as given or left out. */
export interface ImportWarning {
  iri: string
  field: string
  message: string
}

const p = (prefix: keyof typeof NS, local: string): string => NS[prefix] + local
/** Fields a record cannot do without: when one of them is unusable, the record is skipped. */
const REQUIRED = new Set(['id', 'title', 'description', 'license'])
const REQUIRED_IN_DISTRIBUTION = new Set(['id', 'title', 'format', 'mediaType', 'license'])
const MAX_REPAIR_ROUNDS = 20

type Input = DatasetMetadataInput & Record<string, unknown>
type Bbox = [number, number, number, number]

/**
 * Maps DCAT-AP.de RDF to dataset metadata: one record per dcat:Dataset.
 * A record is skipped (with its reason) only when a required field is
 * unusable; a bad optional field is repaired or left out and reported as a
 * warning. Distributions keep their URLs (external links).
 */
export function datasetsFromRdf(
  quads: Quad[],
  bases: string[] = []
): { records: ImportedRecord[]; skipped: SkippedRecord[]; warnings: ImportWarning[]; nextPage?: string } {
  const store = new Store(quads)
  const objects = (s: Term, pred: string): Term[] => store.getObjects(s, pred, null)
  const one = (s: Term, pred: string): Term | undefined => objects(s, pred)[0]
  const text = (s: Term, pred: string): string | undefined => {
    const lits = objects(s, pred).filter(o => o.termType === 'Literal') as Array<Term & { language: string }>
    return (lits.find(l => l.language === 'de') ?? lits.find(l => l.language === '') ?? lits[0])?.value.trim() || undefined
  }
  // An empty IRI (<> or rdf:resource="") resolves to the document itself: not a link to anything.
  const link = (t: Term | undefined): string | undefined => {
    const v = t?.value.trim()
    return v === undefined || v === '' || bases.includes(v) ? undefined : v
  }
  const records: ImportedRecord[] = []
  const skipped: SkippedRecord[] = []
  const warnings: ImportWarning[] = []
  const usedIds = new Set<string>()

  for (const s of store.getSubjects(p('rdf', 'type'), p('dcat', 'Dataset'), null)) {
    const iri = s.value
    const notes: ImportWarning[] = []
    const warn = (field: string, message: string): void => {
      notes.push({ iri, field, message })
    }
    try {
      const identifier = text(s, p('dct', 'identifier'))
      const id = slugify(
        identifier ??
          (s.termType === 'NamedNode'
            ? (iri
                .replace(/[/#]+$/, '')
                .split(/[/#]/)
                .pop() ?? iri)
            : iri)
      )
      if (usedIds.has(id)) throw new ValidationError('id', `id "${id}" occurs twice in the source`)
      const title = text(s, p('dct', 'title'))
      if (title === undefined) throw new ValidationError('title', 'no dct:title')
      const dists = objects(s, p('dcat', 'distribution'))
      const licenseOf = (t: Term | undefined, field: string): string | undefined => {
        if (t === undefined) return undefined
        const r = readLicense(t.value, t.termType === 'NamedNode')
        if (r.note !== undefined) warn(field, r.note)
        return r.license
      }
      const datasetLicense =
        licenseOf(one(s, p('dct', 'license')), 'license') ??
        dists.map((d, i) => licenseOf(one(d, p('dct', 'license')), `distributions[${i}].license`)).find(l => l !== undefined)
      if (datasetLicense === undefined) throw new ValidationError('license', 'no usable dct:license on the dataset or its distributions')

      const input: Input = {
        id,
        title,
        description: text(s, p('dct', 'description')) ?? title,
        // RDF has no order: sort, so that every parser and every re-import gives the same metadata.
        keywords: [
          ...new Set(
            objects(s, p('dcat', 'keyword'))
              .map(k => k.value.trim())
              .filter(k => k !== '')
          )
        ].sort((x, y) => x.localeCompare(y, 'de')),
        themes: [
          ...new Set(
            objects(s, p('dcat', 'theme'))
              .map(t => t.value.replace(DATA_THEME, ''))
              .filter(t => (DATA_THEMES as readonly string[]).includes(t))
          )
        ].sort() as DatasetMetadataInput['themes'],
        license: datasetLicense
      }
      if (input.keywords!.length > 50) {
        warn('keywords', `${input.keywords!.length} keywords: the first 50 kept`)
        input.keywords = input.keywords!.slice(0, 50)
      }
      const publisherName = (() => {
        const pub = one(s, p('dct', 'publisher'))
        return pub === undefined ? undefined : text(pub, p('foaf', 'name'))
      })()
      if (publisherName !== undefined) input.publisher = { name: publisherName }

      const geocoding = objects(s, p('dcatde', 'politicalGeocodingURI'))
        .map(t => t.value)
        .filter(v => v.startsWith(POLITICAL_GEOCODING))
      const level = objects(s, p('dcatde', 'politicalGeocodingLevelURI'))
        .map(t => t.value)
        .find(v => v.startsWith(POLITICAL_GEOCODING))
      const ags = geocoding.map(agsOfGeocoding).find(a => a !== undefined)
      const bbox = objects(s, p('dct', 'spatial'))
        .map(loc => spatialBbox(store, loc))
        .find(b => b !== undefined)
      // Only the municipality's own key (what this node's export writes anyway) needs no copy.
      const onlyOwnKey =
        ags !== undefined &&
        geocoding.length === 1 &&
        geocoding[0] === `${POLITICAL_GEOCODING}municipalityKey/${ags}` &&
        (level === undefined || level === `${POLITICAL_GEOCODING}Level/municipality`)
      if (onlyOwnKey) geocoding.length = 0
      if (ags !== undefined || bbox !== undefined || geocoding.length > 0) {
        input.spatial = {
          ...(ags === undefined ? {} : { ags }),
          ...(bbox === undefined ? {} : { bbox }),
          ...(geocoding.length === 0 ? {} : { politicalGeocodingURIs: [...new Set(geocoding)].sort() }),
          ...(level === undefined || geocoding.length === 0 ? {} : { politicalGeocodingLevelURI: level })
        }
      }
      const dateOf = (t: Term | undefined, field: string): string | undefined => {
        if (t === undefined) return undefined
        const r = readDate(t.value)
        if (r.note !== undefined) warn(field, r.note)
        return r.date
      }
      const temporal = one(s, p('dct', 'temporal'))
      if (temporal !== undefined) {
        const start = dateOf(one(temporal, p('dcat', 'startDate')) ?? one(temporal, 'http://schema.org/startDate'), 'temporal.start')
        const end = dateOf(one(temporal, p('dcat', 'endDate')) ?? one(temporal, 'http://schema.org/endDate'), 'temporal.end')
        if (start !== undefined || end !== undefined)
          input.temporal = { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) }
      }
      const issued = dateOf(one(s, p('dct', 'issued')), 'issued')
      const modified = dateOf(one(s, p('dct', 'modified')), 'modified')
      if (issued !== undefined) input.issued = issued
      if (modified !== undefined) input.modified = modified
      const contact = one(s, p('dcat', 'contactPoint'))
      if (contact !== undefined) {
        const given = one(contact, p('vcard', 'hasEmail'))?.value
        const email = given === undefined ? undefined : readEmail(given)
        const name = text(contact, p('vcard', 'fn')) ?? text(contact, p('vcard', 'organization-name')) ?? email
        if (email !== undefined && name !== undefined) {
          input.contactPoint = { name, email }
          if (given !== `mailto:${email}`) warn('contactPoint.email', `"${given ?? ''}" read as ${email}`)
        } else {
          warn(
            'contactPoint',
            given === undefined
              ? 'contact point without vcard:hasEmail: left out'
              : `no e-mail address in "${given}": contact point left out`
          )
        }
      }
      const landing = link(one(s, p('dcat', 'landingPage')))
      if (landing !== undefined) input.landingPage = landing
      const freqTerm = one(s, p('dct', 'accrualPeriodicity'))?.value
      const freq = freqTerm?.replace(FREQUENCY, '')
      if (freq !== undefined) {
        if ((FREQUENCIES as readonly string[]).includes(freq)) input.accrualPeriodicity = freq as DatasetMetadata['accrualPeriodicity']
        else warn('accrualPeriodicity', `${freqTerm ?? ''} is not an EU frequency: left out`)
      }

      const distIds = new Set<string>()
      input.distributions = dists.map((d, i) => {
        const dTitle = text(d, p('dct', 'title'))
        let distId = slugify(text(d, p('dct', 'identifier')) ?? dTitle ?? `distribution-${i + 1}`)
        while (distIds.has(distId)) distId = `${distId}-${i + 1}`
        distIds.add(distId)
        const mediaTypeTerm = one(d, p('dcat', 'mediaType'))
          ?.value.replace(IANA_MEDIA_TYPES, '')
          .replace(/^https?:\/\/www\.iana\.org\/assignments\/media-types\//, '')
        const formatTerm = one(d, p('dct', 'format'))?.value
        const format =
          formatTerm === undefined
            ? (FORMAT_BY_MEDIA_TYPE[mediaTypeTerm ?? ''] ?? 'BIN')
            : formatTerm
                .replace(FILE_TYPE, '')
                .replace(/^.*[/#]/, '')
                .toUpperCase()
                .replace(/[^A-Z0-9_]/g, '_')
                .slice(0, 30) || 'BIN'
        const mediaType =
          mediaTypeTerm !== undefined && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(mediaTypeTerm)
            ? mediaTypeTerm
            : (Object.entries(FORMAT_BY_MEDIA_TYPE).find(([, f]) => f === format)?.[0] ?? 'application/octet-stream')
        const accessTerm = one(d, p('dcat', 'accessURL'))
        const accessURL = link(accessTerm)
        if (accessTerm !== undefined && accessURL === undefined) warn(`distributions[${i}].accessURL`, 'empty accessURL: left out')
        const downloadURL = link(one(d, p('dcat', 'downloadURL')))
        const distModified = dateOf(one(d, p('dct', 'modified')), `distributions[${i}].modified`)
        const distDescription = text(d, p('dct', 'description'))
        return {
          id: distId,
          title: dTitle ?? `${format} ${i + 1}`,
          ...(distDescription === undefined ? {} : { description: distDescription }),
          format,
          mediaType,
          license: distributionLicense(licenseOf(one(d, p('dct', 'license')), `distributions[${i}].license`), datasetLicense),
          ...(accessURL === undefined ? {} : { accessURL }),
          ...(downloadURL === undefined ? {} : { downloadURL }),
          ...(distModified === undefined ? {} : { modified: distModified })
        }
      })
      const metadata = repairOptionalFields(input, warn)
      usedIds.add(id)
      records.push({ iri, metadata })
      warnings.push(...dedupe(notes))
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      skipped.push({ iri, reason: `${err.field === undefined ? '' : `${err.field}: `}${err.message}` })
    }
  }
  const nextPage = store.getObjects(null, p('hydra', 'nextPage'), null)[0]?.value
  return { records, skipped, warnings, ...(nextPage === undefined ? {} : { nextPage }) }
}

/** A distribution's licence; our own export's stand-in for a dataset licence outside the vocabulary reads back as that licence. */
function distributionLicense(given: string | undefined, datasetLicense: string): string {
  if (given === undefined) return datasetLicense
  return given === UNLISTED_LICENSE && /^https?:/.test(datasetLicense) ? datasetLicense : given
}

function dedupe(notes: ImportWarning[]): ImportWarning[] {
  const seen = new Set<string>()
  return notes.filter(n => {
    const k = `${n.field}\n${n.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/**
 * Validates the record; every problem in an optional field removes that field
 * (a keyword, a distribution's URL, the contact point …) and is reported. A
 * problem in a required field skips the record (ValidationError).
 */
function repairOptionalFields(input: Input, warn: (field: string, message: string) => void): DatasetMetadata {
  for (let round = 0; round < MAX_REPAIR_ROUNDS; round++) {
    const parsed = datasetMetadataSchema.safeParse(input)
    if (parsed.success) return parsed.data
    // Last index first, so that removing an item does not move the ones still to remove.
    const issues = [...parsed.error.issues].sort((a, b) => comparePaths(b.path, a.path))
    for (const issue of issues) {
      const path = issue.path as Array<string | number>
      const field = pathText(path)
      const [top, index, sub] = path
      if (path.length === 0 || (typeof top === 'string' && REQUIRED.has(top))) throw new ValidationError(field || 'dataset', issue.message)
      if (top === 'distributions' && typeof index === 'number') {
        const dists = input.distributions as Array<Record<string, unknown>>
        if (dists[index] === undefined) continue
        if (typeof sub === 'string' && !REQUIRED_IN_DISTRIBUTION.has(sub)) {
          warn(`distributions[${index}].${sub}`, `${JSON.stringify(dists[index][sub])}: ${issue.message}; left out`)
          Reflect.deleteProperty(dists[index], sub)
        } else {
          warn(`distributions[${index}]`, `${issue.message} (${field}); distribution left out`)
          dists.splice(index, 1)
        }
        continue
      }
      if (!((top as string) in input)) continue
      const holder = input[top as string]
      if (Array.isArray(holder) && typeof index === 'number') {
        warn(`${String(top)}[${index}]`, `${JSON.stringify(holder[index])}: ${issue.message}; left out`)
        holder.splice(index, 1)
      } else if (holder !== null && typeof holder === 'object' && !Array.isArray(holder) && typeof index === 'string') {
        // One field of an object (spatial.bbox): that field goes, the rest (spatial.ags) stays.
        const fields = holder as Record<string, unknown>
        if (!(index in fields)) continue
        warn(`${String(top)}.${index}`, `${JSON.stringify(fields[index])}: ${issue.message}; left out`)
        Reflect.deleteProperty(fields, index)
        if (Object.keys(fields).length === 0) Reflect.deleteProperty(input, top as string)
      } else {
        warn(String(top), `${JSON.stringify(holder)}: ${issue.message}; left out`)
        Reflect.deleteProperty(input, top as string)
      }
    }
  }
  throw new ValidationError('dataset', 'could not be repaired')
}

function comparePaths(a: PropertyKey[], b: PropertyKey[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]
    const y = b[i]
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    return String(x) < String(y) ? -1 : 1
  }
  return a.length - b.length
}

const pathText = (path: PropertyKey[]): string =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('')

/**
 * The bounding box of a dct:spatial location: dcat:bbox or locn:geometry, as
 * WKT (GeoSPARQL: CRS84 lon/lat; with an EPSG:4326 IRI in front, lat/lon) or
 * as GeoJSON.
 */
function spatialBbox(store: Store, location: Term): Bbox | undefined {
  const literals = [...store.getObjects(location, p('dcat', 'bbox'), null), ...store.getObjects(location, p('locn', 'geometry'), null)]
  for (const lit of literals) {
    const box = geometryTextBbox(lit.value)
    if (box !== undefined) return box
  }
  return undefined
}

export function geometryTextBbox(value: string): Bbox | undefined {
  const v = value.trim()
  if (v.startsWith('{')) {
    try {
      const geo = JSON.parse(v) as { coordinates?: unknown; geometries?: Array<{ coordinates?: unknown }>; bbox?: unknown }
      return geometryBbox(geo.coordinates ?? geo.geometries?.map(g => g.coordinates))
    } catch {
      return undefined
    }
  }
  const latFirst = /^<[^>]*EPSG\/0\/4326>/i.test(v)
  const pairs = [...v.replace(/^<[^>]*>\s*/, '').matchAll(/(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)/g)].map(m =>
    latFirst ? [Number(m[2]), Number(m[1])] : [Number(m[1]), Number(m[2])]
  )
  if (pairs.length === 0) return undefined
  const xs = pairs.map(n => n[0]!)
  const ys = pairs.map(n => n[1]!)
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}
