/** RDF input that does not parse; its own module so callers need not load the RDF parsers. */
export class RdfParseError extends Error {
  override readonly name = 'RdfParseError'
}
