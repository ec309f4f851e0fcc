import { LICENSES, type License } from '@swf/protocol'

// What a real portal catalog gives and DCAT-AP.de does not quite allow, and
// how an import repairs it. Each repair is reported to the operator.

const BY_LOWER = new Map<string, License>()
// The vocabulary's own spellings last, so they win where two differ only in case.
for (const code of [...LICENSES].reverse()) if (!BY_LOWER.has(code.toLowerCase())) BY_LOWER.set(code.toLowerCase(), code)

/** Other names of dcat-ap.de licences, keyed by their letters and digits in lower case. */
const ALIASES: Record<string, License> = {
  // GovData's licence pages and Datenlizenz Deutschland's own names
  govdatadedldeby20: 'dl-by-de/2.0',
  govdatadedldezero20: 'dl-zero-de/2.0',
  govdatadedldeby10: 'dl-by-de/1.0',
  govdatadedldebync10: 'dl-by-nc-de/1.0',
  dldeby20: 'dl-by-de/2.0',
  dldezero20: 'dl-zero-de/2.0',
  dldeby10: 'dl-by-de/1.0',
  dldebync10: 'dl-by-nc-de/1.0',
  datenlizenzdeutschlandnamensnennungversion20: 'dl-by-de/2.0',
  datenlizenzdeutschlandnamensnennung20: 'dl-by-de/2.0',
  datenlizenzdeutschlandzeroversion20: 'dl-zero-de/2.0',
  datenlizenzdeutschlandzero20: 'dl-zero-de/2.0',
  // Creative Commons deeds
  creativecommonsorglicensesby40: 'cc-by/4.0',
  creativecommonsorglicensesbysa40: 'cc-by-sa/4.0',
  creativecommonsorglicensesbynd40: 'cc-by-nd/4.0',
  creativecommonsorglicensesbync40: 'cc-by-nc/4.0',
  creativecommonsorglicensesby30de: 'cc-by-de/3.0',
  creativecommonsorglicensesbysa30de: 'cc-by-sa-de/3.0',
  creativecommonsorglicensesbync30de: 'cc-by-nc-de/3.0',
  creativecommonsorglicensesbynd30: 'cc-by-nd/3.0',
  creativecommonsorgpublicdomainzero10: 'cc-zero',
  creativecommonsorgpublicdomainmark10: 'ccpdm/1.0',
  ccby40: 'cc-by/4.0',
  ccbysa40: 'cc-by-sa/4.0',
  cc0: 'cc-zero',
  cc010: 'cc-zero',
  ccbynd40: 'cc-by-nd/4.0',
  ccbync40: 'cc-by-nc/4.0',
  // The EU licence authority table
  publicationseuropaeuresourceauthoritylicenceccby40: 'cc-by/4.0',
  publicationseuropaeuresourceauthoritylicenceccbysa40: 'cc-by-sa/4.0',
  publicationseuropaeuresourceauthoritylicencecc0: 'cc-zero',
  publicationseuropaeuresourceauthoritylicencedldeby20: 'dl-by-de/2.0',
  publicationseuropaeuresourceauthoritylicencedldezero20: 'dl-zero-de/2.0',
  publicationseuropaeuresourceauthoritylicenceodcbl: 'odbl',
  publicationseuropaeuresourceauthoritylicenceodcby: 'odby',
  publicationseuropaeuresourceauthoritylicenceodcpddl: 'odcpddl',
  publicationseuropaeuresourceauthoritylicenceccbynd40: 'cc-by-nd/4.0',
  publicationseuropaeuresourceauthoritylicenceccbync40: 'cc-by-nc/4.0',
  // Open Data Commons
  opendatacommonsorglicensesodbl: 'odbl',
  opendatacommonsorglicensesodbl10: 'odbl',
  opendatacommonsorglicensesby: 'odby',
  opendatacommonsorglicensesby10: 'odby',
  opendatacommonsorglicensespddl: 'odcpddl',
  opendatacommonsorglicensespddl10: 'odcpddl'
}

export interface LicenseReading {
  /** A dcat-ap.de code, or the IRI of another licence as given. */
  license?: string
  /** Why the given value was changed or kept unknown; undefined when it was a dcat-ap.de IRI already. */
  note?: string
}

/** A licence as a portal gives it (IRI or text) → a dcat-ap.de code where one is meant, else the IRI as given. */
export function readLicense(value: string, isIri: boolean): LicenseReading {
  const given = value.trim()
  const exact = /^http:\/\/dcat-ap\.de\/def\/licenses\/(.+)$/.exec(given)?.[1]
  if (exact !== undefined && (LICENSES as readonly string[]).includes(exact)) return { license: exact }
  const inVocabulary = /^https?:\/\/(?:www\.)?dcat-ap\.de\/def\/licenses\/(.+?)\/?$/i.exec(given)?.[1]
  const code =
    inVocabulary !== undefined
      ? (BY_LOWER.get(inVocabulary.toLowerCase()) ?? ALIASES[aliasKey(inVocabulary)])
      : (BY_LOWER.get(given.toLowerCase()) ?? ALIASES[aliasKey(given)])
  if (code !== undefined) return { license: code, note: `licence ${given} read as dcat-ap.de's ${code}` }
  if (isIri && /^https?:\/\/[^\s<>"{}|\\^`]+$/.test(given))
    return {
      license: given,
      note: `licence ${given} is not in the dcat-ap.de vocabulary: kept as given (the DCAT-AP.de export states "other-closed" on its distributions, as GovData requires a licence of the vocabulary there)`
    }
  return { note: `licence "${given}" is neither a known licence nor an IRI` }
}

function aliasKey(value: string): string {
  return value
    .toLowerCase()
    .replace(/^https?:\/\/(www\.)?/, '')
    .replace(/\/(legalcode|deed\.[a-z]+)(\.[a-z]+)?$/, '')
    .replace(/[^a-z0-9]/g, '')
}

/**
 * A date or date-time as DCAT-AP.de wants it: xsd:date, or xsd:dateTime with
 * an offset. A time without a zone is local time in Germany (Europe/Berlin).
 */
export function readDate(value: string): { date?: string; note?: string } {
  const v = value.trim()
  if (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v))) return { date: v }
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(v)
  if (m === null) return { note: `"${v}" is not an ISO 8601 date: left out` }
  const [, day, hm, sec = ':00', zone] = m
  const local = `${day}T${hm}${sec}`
  if (Number.isNaN(Date.parse(`${local}Z`))) return { note: `"${v}" is not a valid date: left out` }
  if (zone !== undefined) {
    const offset = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`
    const date = `${local}${offset}`
    return date === v ? { date } : { date, note: `"${v}" written as ${date}` }
  }
  const date = `${local}${berlinOffset(local)}`
  return { date, note: `"${v}" has no time zone: taken as Europe/Berlin time, ${date}` }
}

const BERLIN = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeZoneName: 'longOffset' })

/** Berlin's UTC offset (+01:00 or +02:00) at a local wall-clock time. */
function berlinOffset(local: string): string {
  const asUtc = Date.parse(`${local.slice(0, 19)}Z`)
  const offsetAt = (ms: number): number => {
    const name = BERLIN.formatToParts(new Date(ms)).find(p => p.type === 'timeZoneName')?.value ?? 'GMT'
    const o = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
    return o === null ? 0 : (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3]))
  }
  // The offset at the instant this wall-clock time names (checked once more around a DST change).
  let minutes = offsetAt(asUtc - offsetAt(asUtc) * 60_000)
  minutes = offsetAt(asUtc - minutes * 60_000)
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** An e-mail address from vcard:hasEmail: mailto:, a bare address, or one resolved as a relative IRI. */
export function readEmail(value: string): string | undefined {
  const decoded = (() => {
    try {
      return decodeURIComponent(value)
    } catch {
      return value
    }
  })()
  const m = /([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\s*$/.exec(decoded.replace(/^mailto:/i, '').replace(/\?.*$/, ''))
  return m?.[1]
}

/** A municipality key (AGS, 8 digits) from a political geocoding IRI: municipalityKey/…, or regionalKey/… (ARS, 12 digits). */
export function agsOfGeocoding(iri: string): string | undefined {
  const municipality = /\/municipalityKey\/(\d{8})$/.exec(iri)?.[1]
  if (municipality !== undefined) return municipality
  const ars = /\/regionalKey\/(\d{12})$/.exec(iri)?.[1]
  return ars === undefined ? undefined : `${ars.slice(0, 5)}${ars.slice(9)}`
}
