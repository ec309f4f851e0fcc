// graphy ships no types; this is the part of its RDF/XML scriber the export uses.
declare module '@graphy/content.xml.scribe' {
  import type { Quad } from 'n3'
  interface XmlScriber {
    write: (quad: Quad) => boolean
    end: () => void
    on: ((event: 'data', listener: (chunk: string) => void) => XmlScriber) &
      ((event: 'end', listener: () => void) => XmlScriber) &
      ((event: 'error', listener: (err: Error) => void) => XmlScriber)
  }
  export default function xmlScribe(config?: { prefixes?: Record<string, string> }): XmlScriber
}
