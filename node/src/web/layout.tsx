/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx'

export type NavKey = 'katalog' | 'karte' | 'region' | 'verwaltung'

/** The page frame: German, no scripts, one local stylesheet. */
export function Layout ({ title, kommune, nav, children }: { title: string, kommune: string, nav?: NavKey, children: Child }) {
  const link = (key: NavKey, href: string, label: string) =>
    <a href={href} aria-current={nav === key ? 'page' : undefined}>{label}</a>
  return (
    <html lang='de'>
      <head>
        <meta charset='utf-8' />
        <meta name='viewport' content='width=device-width, initial-scale=1' />
        <title>{title} · Datenraum Südwestfalen</title>
        <link rel='stylesheet' href='/assets/app.css' />
      </head>
      <body>
        <header>
          <a class='marke' href='/'>Datenraum Südwestfalen · {kommune}</a>
          {link('katalog', '/', 'Katalog')}
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
export const formatDate = (iso: string | null | undefined): string => iso == null ? '–' : (Number.isNaN(Date.parse(iso)) ? iso : DE_DATE.format(new Date(iso)))
export const formatBytes = (n: number | undefined): string => n === undefined ? '' : n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`

export const THEME_LABELS: Record<string, string> = {
  AGRI: 'Landwirtschaft', ECON: 'Wirtschaft und Finanzen', EDUC: 'Bildung, Kultur und Sport', ENER: 'Energie', ENVI: 'Umwelt',
  GOVE: 'Regierung und öffentlicher Sektor', HEAL: 'Gesundheit', INTR: 'Internationale Themen', JUST: 'Justiz und Sicherheit',
  REGI: 'Regionen und Städte', SOCI: 'Bevölkerung und Gesellschaft', TECH: 'Wissenschaft und Technologie', TRAN: 'Verkehr'
}
