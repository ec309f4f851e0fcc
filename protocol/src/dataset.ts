import { z } from 'zod'
import { agsSchema, sha256HexSchema, slugSchema } from './identifiers.js'
import { DATA_THEMES, FREQUENCIES, LICENSES } from './vocabularies.js'

// Dataset metadata aligned with DCAT-AP.de 2.0. Field names follow the DCAT
// properties (dct:title → title, dcat:distribution → distributions, …) so the
// RDF mapping stays a rename. Objects are strict: an unknown field is an
// error, which catches typos such as "licence" for "license".

// Characters no XML 1.0 document can carry (C0 controls but tab and line breaks, U+FFFE/U+FFFF,
// unpaired surrogates): text with them could be signed but not exported as RDF/XML.
const NOT_IN_XML =
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Text of at most `max` characters that any XML can carry (trimmed, not empty). */
export const text = (max: number) =>
  z
    .string({ error: iss => (iss.input === undefined ? 'required' : 'must be text') })
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `at most ${max} characters` })
    .refine(s => !NOT_IN_XML.test(s), { message: 'must not contain control characters or unpaired surrogates' })

/** ISO 8601 date ("2026-05-01") or date-time with offset ("2026-05-01T10:00:00Z"). */
export const isoDateSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  message: 'ISO 8601 date or date-time'
})

const lon = z.number().min(-180, { message: 'longitude out of range' }).max(180, { message: 'longitude out of range' })
const lat = z.number().min(-90, { message: 'latitude out of range' }).max(90, { message: 'latitude out of range' })

/** WGS84 bounding box [minLon, minLat, maxLon, maxLat], as in GeoJSON. */
export const bboxSchema = z.tuple([lon, lat, lon, lat]).refine(([minLon, minLat, maxLon, maxLat]) => minLon <= maxLon && minLat <= maxLat, {
  message: 'bbox must be [minLon, minLat, maxLon, maxLat] with min ≤ max'
})
export type BBox = z.infer<typeof bboxSchema>

export const temporalSchema = z
  .strictObject({
    start: isoDateSchema.optional(),
    end: isoDateSchema.optional()
  })
  .refine(t => t.start === undefined || t.end === undefined || t.start <= t.end, {
    message: 'temporal start must not be after end',
    path: ['end']
  })

/**
 * A link in metadata: an absolute http, https or ftp IRI without the
 * characters RDF serialisations cannot carry unescaped. `javascript:` and
 * `data:` URLs, or ones with `{`, `"`, `|` or spaces, once passed and made
 * every node's regional JSON-LD answer 500 and its Turtle invalid.
 */
export const linkSchema = z
  .url({ protocol: /^(https?|ftp)$/, message: 'absolute http, https or ftp URL' })
  .max(2000)
  .refine(u => !/[\s<>"{}|\\^`]/.test(u), { message: 'URL must not contain spaces or any of < > " { } | \\ ^ `' })

/** DCAT-AP.de's political geocoding vocabulary (municipalityKey/…, regionalKey/…, districtKey/…, Level/…). */
export const POLITICAL_GEOCODING = 'http://dcat-ap.de/def/politicalGeocoding/'
const geocodingIri = linkSchema.refine(u => u.startsWith(POLITICAL_GEOCODING), { message: `IRI of ${POLITICAL_GEOCODING}` })

export const spatialSchema = z
  .strictObject({
    bbox: bboxSchema.optional(),
    ags: agsSchema.optional(),
    /** The source's own geocoding (dcatde:politicalGeocodingURI), kept as given on import. */
    politicalGeocodingURIs: z.array(geocodingIri).min(1).max(20).optional(),
    politicalGeocodingLevelURI: geocodingIri.optional()
  })
  .refine(s => s.bbox !== undefined || s.ags !== undefined || s.politicalGeocodingURIs !== undefined, {
    message: 'spatial needs bbox, ags or politicalGeocodingURIs'
  })

export const contactPointSchema = z.strictObject({
  name: text(200),
  email: z.email({ message: 'valid e-mail address' }).max(254)
})

export const publisherSchema = z.strictObject({
  name: text(200),
  uri: linkSchema.optional()
})

/**
 * A licence: a code of the dcat-ap.de vocabulary (dl-by-de/2.0), or the IRI of
 * another licence, which an import keeps as its source gave it.
 */
const LICENSE_IRI = /^https?:\/\/[^\s<>"{}|\\^`]+$/
export const licenseSchema = z
  .string({ error: iss => (iss.input === undefined ? 'required' : 'must be text') })
  .max(2000)
  .refine(v => (LICENSES as readonly string[]).includes(v) || (LICENSE_IRI.test(v) && URL.canParse(v)), {
    message: 'licence from the dcat-ap.de vocabulary (e.g. dl-by-de/2.0) or the http(s) IRI of another licence'
  })
  .meta({ anyOf: [{ enum: [...LICENSES] }, { type: 'string', format: 'uri', pattern: '^https?://' }] })

export const distributionSchema = z
  .strictObject({
    id: slugSchema,
    title: text(500),
    description: text(5000).optional(),
    /** EU file-type code, e.g. CSV, GEOJSON, JSON, PDF, ZIP. */
    format: z.string().regex(/^[A-Z0-9_]{1,30}$/, { message: 'EU file-type code in upper case, e.g. CSV, GEOJSON' }),
    mediaType: z
      .string()
      .regex(/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i, { message: 'IANA media type, e.g. text/csv' })
      .max(127),
    license: licenseSchema,
    /** Set by the publishing node for files it stores; absent for external links. */
    byteSize: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    sha256: sha256HexSchema.optional(),
    /** Where the data lives when the node does not hold the file (an external portal). */
    accessURL: linkSchema.optional(),
    downloadURL: linkSchema.optional(),
    modified: isoDateSchema.optional()
  })
  .refine(d => (d.sha256 === undefined) === (d.byteSize === undefined), {
    message: 'sha256 and byteSize go together',
    path: ['sha256']
  })
export type Distribution = z.infer<typeof distributionSchema>

export const MAX_DISTRIBUTIONS = 100

export const datasetMetadataSchema = z
  .strictObject({
    id: slugSchema,
    title: text(500),
    /** Required by DCAT-AP.de (dct:description); the CLI uses the title when none is given. */
    description: text(20_000),
    keywords: z.array(text(100)).max(50).default([]),
    themes: z
      .array(z.enum(DATA_THEMES, { message: `EU data theme, one of ${DATA_THEMES.join(', ')}` }))
      .max(13)
      .default([]),
    license: licenseSchema,
    publisher: publisherSchema.optional(),
    spatial: spatialSchema.optional(),
    temporal: temporalSchema.optional(),
    issued: isoDateSchema.optional(),
    modified: isoDateSchema.optional(),
    contactPoint: contactPointSchema.optional(),
    landingPage: linkSchema.optional(),
    accrualPeriodicity: z.enum(FREQUENCIES).optional(),
    distributions: z.array(distributionSchema).max(MAX_DISTRIBUTIONS).default([])
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>()
    d.distributions.forEach((dist, i) => {
      if (seen.has(dist.id))
        ctx.addIssue({ code: 'custom', message: `duplicate distribution id "${dist.id}"`, path: ['distributions', i, 'id'] })
      seen.add(dist.id)
    })
  })

/** Metadata as stored and signed (defaults applied). */
export type DatasetMetadata = z.infer<typeof datasetMetadataSchema>
/** Metadata as a client may send it (defaults optional). */
export type DatasetMetadataInput = z.input<typeof datasetMetadataSchema>
