// Namespaces of DCAT-AP.de 2.0 and the vocabularies it uses.
export const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  dcatde: 'http://dcat-ap.de/def/dcatde/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  spdx: 'http://spdx.org/rdf/terms#',
  locn: 'http://www.w3.org/ns/locn#',
  gsp: 'http://www.opengis.net/ont/geosparql#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  adms: 'http://www.w3.org/ns/adms#',
  odrl: 'http://www.w3.org/ns/odrl/2/',
  dspace: 'https://w3id.org/dspace/2025/1/'
} as const

export type Prefix = keyof typeof NS

export const FILE_TYPE = 'http://publications.europa.eu/resource/authority/file-type/'
export const DATA_THEME = 'http://publications.europa.eu/resource/authority/data-theme/'
export const FREQUENCY = 'http://publications.europa.eu/resource/authority/frequency/'
export const DCATDE_LICENSES = 'http://dcat-ap.de/def/licenses/'
export const POLITICAL_GEOCODING = 'http://dcat-ap.de/def/politicalGeocoding/'
export const IANA_MEDIA_TYPES = 'https://www.iana.org/assignments/media-types/'
/** Open.NRW, the contributor of the region's Kommunen on GovData. */
export const DEFAULT_CONTRIBUTOR_ID = 'http://dcat-ap.de/def/contributors/openNRW'
