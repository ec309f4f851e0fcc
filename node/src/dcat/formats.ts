export type RdfFormat = 'ttl' | 'rdf' | 'jsonld'

export const MEDIA_TYPES: Record<RdfFormat, string> = {
  ttl: 'text/turtle; charset=utf-8',
  rdf: 'application/rdf+xml; charset=utf-8',
  jsonld: 'application/ld+json; charset=utf-8'
}
