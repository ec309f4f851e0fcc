// Controlled vocabularies of DCAT-AP.de 2.0. Codes only; the full URIs are
// built with the *Uri helpers so there is one place that knows the prefixes.

/** EU data themes (http://publications.europa.eu/resource/authority/data-theme). */
export const DATA_THEMES = ['AGRI', 'ECON', 'EDUC', 'ENER', 'ENVI', 'GOVE', 'HEAL', 'INTR', 'JUST', 'REGI', 'SOCI', 'TECH', 'TRAN'] as const
export type DataTheme = (typeof DATA_THEMES)[number]

/** dcat-ap.de licence vocabulary (http://dcat-ap.de/def/licenses/). */
export const LICENSES = [
  'apache',
  'bsd',
  'cc-by',
  'cc-by/4.0',
  'cc-by-de/3.0',
  'cc-by-nc',
  'cc-by-nc/4.0',
  'cc-by-nc-de/3.0',
  'cc-by-nc-nd/3.0',
  'cc-by-nc-nd/4.0',
  'cc-by-nd',
  'cc-by-nd/4.0',
  'cc-by-sa',
  'cc-by-sa/4.0',
  'cc-by-sa-de/3.0',
  'cc-zero',
  'dl-by-de/1.0',
  'dl-by-de/2.0',
  'dl-by-nc-de/1.0',
  'dl-zero-de/2.0',
  'geoNutz/20130319',
  'geonutz/20131001',
  'gfdl',
  'gpl/3.0',
  'mozilla',
  'odbl',
  'odby',
  'odcpddl',
  'officialWork',
  'other-closed',
  'other-commercial',
  'other-freeware',
  'other-open',
  'other-opensource',
  // The vocabulary's own spellings (http://dcat-ap.de/def/licenses as published), next to the older ones above.
  'geoNutz/20131001',
  'geonutz/20130319',
  'cc-by-nd/3.0',
  'ccpdm/1.0'
] as const
export type License = (typeof LICENSES)[number]

/** EU frequency vocabulary (http://publications.europa.eu/resource/authority/frequency), common subset. */
export const FREQUENCIES = [
  'CONT',
  'UPDATE_CONT',
  'HOURLY',
  'DAILY',
  'WEEKLY',
  'BIWEEKLY',
  'MONTHLY',
  'QUARTERLY',
  'BIANNUAL',
  'ANNUAL',
  'BIENNIAL',
  'IRREG',
  'NEVER',
  'OTHER',
  'UNKNOWN'
] as const
export type Frequency = (typeof FREQUENCIES)[number]

export const themeUri = (code: DataTheme): string => `http://publications.europa.eu/resource/authority/data-theme/${code}`
/** The licence's IRI: a dcat-ap.de code under its namespace, another licence's IRI as it is. */
export const licenseUri = (license: string): string =>
  /^https?:\/\//.test(license) ? license : `http://dcat-ap.de/def/licenses/${license}`
export const frequencyUri = (code: Frequency): string => `http://publications.europa.eu/resource/authority/frequency/${code}`

/** EU file-type codes for common media types, to fill dct:format when a file is uploaded. */
export const FORMAT_BY_MEDIA_TYPE: Readonly<Record<string, string>> = {
  'text/csv': 'CSV',
  'application/geo+json': 'GEOJSON',
  'application/json': 'JSON',
  'application/ld+json': 'JSON_LD',
  'application/xml': 'XML',
  'text/xml': 'XML',
  'application/pdf': 'PDF',
  'application/zip': 'ZIP',
  'text/plain': 'TXT',
  'text/html': 'HTML',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/tiff': 'TIFF',
  'application/vnd.ms-excel': 'XLS',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'XLSX',
  'application/vnd.oasis.opendocument.spreadsheet': 'ODS',
  'application/vnd.google-earth.kml+xml': 'KML',
  'application/gml+xml': 'GML',
  'application/x-shapefile': 'SHP',
  'model/gltf-binary': 'GLB',
  'application/octet-stream': 'BIN'
}
