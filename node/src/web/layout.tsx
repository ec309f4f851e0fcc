/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx'
import { LICENSE_LABELS, THEME_LABELS } from '../vocabulary-labels.js'

export type NavKey = 'katalog' | 'anwendungen' | 'karte' | 'region' | 'verwaltung'

/** The page frame: German, no scripts, one local stylesheet. */
export function Layout({ title, kommune, nav, children }: { title: string; kommune: string; nav?: NavKey; children: Child }) {
  const link = (key: NavKey, href: string, label: string) => (
    <a href={href} aria-current={nav === key ? 'page' : undefined}>
      {label}
    </a>
  )
  return (
    <html lang="de">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · Datenraum Südwestfalen</title>
        <link rel="stylesheet" href="/assets/app.css" />
      </head>
      <body>
        <header>
          <a class="marke" href="/">
            Datenraum Südwestfalen · {kommune}
          </a>
          {link('katalog', '/', 'Katalog')}
          {link('anwendungen', '/anwendungen', 'Anwendungen')}
          {link('karte', '/karte', 'Karte')}
          {link('region', '/region', 'Region')}
          {link('verwaltung', '/verwaltung', 'Verwaltung')}
        </header>
        <main>{children}</main>
      </body>
    </html>
  )
}

const DE_DATE = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Berlin' })
export const formatDate = (iso: string | null | undefined): string =>
  iso == null ? '–' : Number.isNaN(Date.parse(iso)) ? iso : DE_DATE.format(new Date(iso))
export const formatBytes = (n: number | undefined): string =>
  n === undefined ? '' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`

export { LICENSE_LABELS, THEME_LABELS }
export const licenseLabel = (code: string): string => LICENSE_LABELS[code] ?? code

/** EU file-type codes as people write them. */
const FORMAT_LABELS: Record<string, string> = {
  GEOJSON: 'GeoJSON',
  JSON: 'JSON',
  JSON_LD: 'JSON-LD',
  CSV: 'CSV',
  XML: 'XML',
  PDF: 'PDF',
  ZIP: 'ZIP',
  TXT: 'Text',
  HTML: 'HTML',
  PNG: 'PNG',
  JPEG: 'JPEG',
  TIFF: 'TIFF',
  XLS: 'Excel (XLS)',
  XLSX: 'Excel (XLSX)',
  ODS: 'OpenDocument-Tabelle',
  KML: 'KML',
  GML: 'GML',
  SHP: 'Shapefile',
  WMS_SRVC: 'WMS-Dienst',
  WFS_SRVC: 'WFS-Dienst',
  GLTF: 'glTF',
  BIN: 'Binärdatei',
  RDF_XML: 'RDF/XML',
  RDF_TURTLE: 'Turtle'
}
export const formatLabel = (code: string): string => FORMAT_LABELS[code] ?? code

/** Sorts as people count: "messreihe-2" before "messreihe-10", case and umlauts as in German. */
export const naturalOrder = new Intl.Collator('de', { numeric: true, sensitivity: 'base' }).compare
