import { Store, type Quad, type Term } from 'n3'
import {
  DATA_THEMES, datasetMetadataSchema, FORMAT_BY_MEDIA_TYPE, FREQUENCIES, LICENSES, slugify,
  type DatasetMetadata, type DatasetMetadataInput
} from '../../../protocol/src/index.js'
import { ValidationError } from '../errors.js'
import { DATA_THEME, DCATDE_LICENSES, FILE_TYPE, FREQUENCY, IANA_MEDIA_TYPES, NS, POLITICAL_GEOCODING } from './vocab.js'

export interface ImportedRecord {
  iri: string
  metadata: DatasetMetadata
}

export interface SkippedRecord {
  iri: string
  reason: string
}

const p = (prefix: keyof typeof NS, local: string): string => NS[prefix] + local
const LICENSE_SET = new Set<string>(LICENSES)

/**
 * Maps DCAT-AP.de RDF to dataset metadata: one record per dcat:Dataset, or a
 * skip with the reason. Distributions keep their URLs (external links).
 */
export function datasetsFromRdf (quads: Quad[]): { records: ImportedRecord[], skipped: SkippedRecord[], nextPage?: string } {
  const store = new Store(quads)
  const objects = (s: Term, pred: string): Term[] => store.getObjects(s, pred, null)
  const one = (s: Term, pred: string): Term | undefined => objects(s, pred)[0]
  const text = (s: Term, pred: string): string | undefined => {
    const lits = objects(s, pred).filter(o => o.termType === 'Literal') as Array<Term & { language: string }>
    return (lits.find(l => l.language === 'de') ?? lits.find(l => l.language === '') ?? lits[0])?.value.trim() || undefined
  }
  const records: ImportedRecord[] = []
  const skipped: SkippedRecord[] = []
  const usedIds = new Set<string>()

  for (const s of store.getSubjects(p('rdf', 'type'), p('dcat', 'Dataset'), null)) {
    const iri = s.value
    try {
      const identifier = text(s, p('dct', 'identifier'))
      const id = slugify(identifier ?? (s.termType === 'NamedNode' ? iri.replace(/[/#]+$/, '').split(/[/#]/).pop() ?? iri : iri))
      if (usedIds.has(id)) throw new ValidationError('id', `id "${id}" occurs twice in the source`)
      const title = text(s, p('dct', 'title'))
      if (title === undefined) throw new ValidationError('title', 'no dct:title')
      const dists = objects(s, p('dcat', 'distribution'))
      const licenseOf = (t: Term | undefined): string | undefined => {
        if (t === undefined) return undefined
        const code = t.value.replace(/^https?:\/\/dcat-ap\.de\/def\/licenses\//, '')
        if (!LICENSE_SET.has(code)) throw new ValidationError('license', `licence ${t.value} is not in the dcat-ap.de vocabulary`)
        return code
      }
      const datasetLicense = licenseOf(one(s, p('dct', 'license'))) ?? dists.map(d => licenseOf(one(d, p('dct', 'license')))).find(l => l !== undefined)
      if (datasetLicense === undefined) throw new ValidationError('license', 'no dct:license on the dataset or its distributions')

      const input: DatasetMetadataInput = {
        id,
        title,
        description: text(s, p('dct', 'description')) ?? title,
        // RDF has no order: sort, so that every parser and every re-import gives the same metadata.
        keywords: [...new Set(objects(s, p('dcat', 'keyword')).map(k => k.value.trim()).filter(k => k !== '' && k.length <= 100))].sort((x, y) => x.localeCompare(y, 'de')).slice(0, 50),
        themes: [...new Set(objects(s, p('dcat', 'theme')).map(t => t.value.replace(DATA_THEME, '')).filter(t => (DATA_THEMES as readonly string[]).includes(t)))].sort() as DatasetMetadataInput['themes'],
        license: datasetLicense as DatasetMetadata['license']
      }
      const publisherName = (() => {
        const pub = one(s, p('dct', 'publisher'))
        return pub === undefined ? undefined : text(pub, p('foaf', 'name'))
      })()
      if (publisherName !== undefined) input.publisher = { name: publisherName }
      const ags = objects(s, p('dcatde', 'politicalGeocodingURI')).map(t => /municipalityKey\/(\d{8})$/.exec(t.value.replace(POLITICAL_GEOCODING, ''))?.[1]).find(a => a !== undefined)
      const bbox = objects(s, p('dct', 'spatial')).map(loc => wktBbox(one(loc, p('dcat', 'bbox'))?.value ?? one(loc, p('locn', 'geometry'))?.value)).find(b => b !== undefined)
      if (ags !== undefined || bbox !== undefined) input.spatial = { ...(ags === undefined ? {} : { ags }), ...(bbox === undefined ? {} : { bbox }) }
      const temporal = one(s, p('dct', 'temporal'))
      if (temporal !== undefined) {
        const start = one(temporal, p('dcat', 'startDate'))?.value ?? one(temporal, 'http://schema.org/startDate')?.value
        const end = one(temporal, p('dcat', 'endDate'))?.value ?? one(temporal, 'http://schema.org/endDate')?.value
        if (start !== undefined || end !== undefined) input.temporal = { ...(start === undefined ? {} : { start }), ...(end === undefined ? {} : { end }) }
      }
      const issued = one(s, p('dct', 'issued'))?.value
      const modified = one(s, p('dct', 'modified'))?.value
      if (issued !== undefined) input.issued = issued
      if (modified !== undefined) input.modified = modified
      const contact = one(s, p('dcat', 'contactPoint'))
      if (contact !== undefined) {
        const name = text(contact, p('vcard', 'fn'))
        const email = one(contact, p('vcard', 'hasEmail'))?.value.replace(/^mailto:/, '')
        if (name !== undefined && email !== undefined) input.contactPoint = { name, email }
      }
      const landing = one(s, p('dcat', 'landingPage'))
      if (landing?.termType === 'NamedNode') input.landingPage = landing.value
      const freq = one(s, p('dct', 'accrualPeriodicity'))?.value.replace(FREQUENCY, '')
      if (freq !== undefined && (FREQUENCIES as readonly string[]).includes(freq)) input.accrualPeriodicity = freq as DatasetMetadata['accrualPeriodicity']

      const distIds = new Set<string>()
      input.distributions = dists.map((d, i) => {
        const dTitle = text(d, p('dct', 'title'))
        let distId = slugify(text(d, p('dct', 'identifier')) ?? dTitle ?? `distribution-${i + 1}`)
        while (distIds.has(distId)) distId = `${distId}-${i + 1}`
        distIds.add(distId)
        const mediaTypeTerm = one(d, p('dcat', 'mediaType'))?.value.replace(IANA_MEDIA_TYPES, '').replace(/^https?:\/\/www\.iana\.org\/assignments\/media-types\//, '')
        const formatTerm = one(d, p('dct', 'format'))?.value
        const format = formatTerm === undefined
          ? FORMAT_BY_MEDIA_TYPE[mediaTypeTerm ?? ''] ?? 'BIN'
          : formatTerm.replace(FILE_TYPE, '').replace(/^.*[/#]/, '').toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 30)
        const mediaType = mediaTypeTerm !== undefined && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(mediaTypeTerm)
          ? mediaTypeTerm
          : Object.entries(FORMAT_BY_MEDIA_TYPE).find(([, f]) => f === format)?.[0] ?? 'application/octet-stream'
        const accessURL = one(d, p('dcat', 'accessURL'))?.value
        const downloadURL = one(d, p('dcat', 'downloadURL'))?.value
        return {
          id: distId,
          title: dTitle ?? `${format} ${i + 1}`,
          format,
          mediaType,
          license: (licenseOf(one(d, p('dct', 'license'))) ?? datasetLicense) as DatasetMetadata['license'],
          ...(accessURL === undefined ? {} : { accessURL }),
          ...(downloadURL === undefined ? {} : { downloadURL })
        }
      })
      const parsed = datasetMetadataSchema.safeParse(input)
      if (!parsed.success) throw ValidationError.fromZod(parsed.error)
      usedIds.add(id)
      records.push({ iri, metadata: parsed.data })
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      skipped.push({ iri, reason: `${err.field === undefined ? '' : `${err.field}: `}${err.message}` })
    }
  }
  const nextPage = store.getObjects(null, p('hydra', 'nextPage'), null)[0]?.value
  return { records, skipped, ...(nextPage === undefined ? {} : { nextPage }) }
}

/** Bounding box of a WKT POLYGON/MULTIPOLYGON/POINT literal. */
function wktBbox (wkt: string | undefined): [number, number, number, number] | undefined {
  if (wkt === undefined) return undefined
  const nums = [...wkt.replace(/^<[^>]*>\s*/, '').matchAll(/(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)/g)].map(m => [Number(m[1]), Number(m[2])] as const)
  if (nums.length === 0) return undefined
  const xs = nums.map(n => n[0])
  const ys = nums.map(n => n[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}
