/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { DatasetMetadata } from '@swf/protocol'
import type { RegionalDatasetView } from '../services/regional-catalog.js'
import type { SearchResult } from '../services/search-service.js'
import { formatBytes, formatDate, formatLabel, licenseLabel, THEME_LABELS } from './layout.js'
import { ExtentMap, FeatureMap } from './map.js'
import type { DistributionPreview } from '../features/distribution-preview.js'
import type { UseCaseView } from '../services/use-case-service.js'
import { UsedIn } from './use-case-pages.js'

const datasetHref = (publisher: string, id: string): string => `/datensatz/${publisher}/${id}`

/** "1 Datensatz", "12 Datensätze", "10.000+ Datensätze" (a broad query's words rank a bounded number). */
const countLabel = (total: number, exact: boolean): string =>
  total === 1 && exact ? '1 Datensatz' : `${total.toLocaleString('de-DE')}${exact ? '' : '+'} Datensätze`

/** The regional catalog: search box, facets, hits with provenance. */
export function CatalogPage({ result, params, error }: { result: SearchResult; params: URLSearchParams; error?: string }) {
  const toggle = (name: string, value: string): string => {
    const next = new URLSearchParams(params)
    next.delete('cursor')
    const values = next.getAll(name)
    next.delete(name)
    for (const v of values.includes(value) ? values.filter(v => v !== value) : [...values, value]) next.append(name, v)
    return `/?${next.toString()}`
  }
  const facet = (
    title: string,
    name: string,
    items: Array<{ value: string; count: number; label?: string | null }>,
    label?: (v: string) => string
  ) =>
    items.length === 0 ? null : (
      <>
        <h3>{title}</h3>
        <ul>
          {items.map(i => (
            <li>
              <a class={params.getAll(name).includes(i.value) ? 'aktiv' : undefined} href={toggle(name, i.value)}>
                {i.label ?? label?.(i.value) ?? i.value}
              </a>{' '}
              ({i.count})
            </li>
          ))}
        </ul>
      </>
    )
  const more = new URLSearchParams(params)
  if (result.nextCursor !== null) more.set('cursor', result.nextCursor)
  return (
    <>
      <h1>Offene Daten der Region</h1>
      <form class="suche" method="get" action="/" role="search">
        <input
          type="search"
          name="q"
          value={params.get('q') ?? ''}
          placeholder="Suche, z. B. Radwege, Straßenschäden, Kita"
          aria-label="Suchbegriff"
        />
        <button type="submit">Suchen</button>
      </form>
      {error !== undefined ? (
        <p class="fehler" role="alert">
          {error}
        </p>
      ) : null}
      <div class="zweispaltig">
        <aside class="facetten" aria-label="Filter">
          {facet('Kommune', 'publisher', result.facets.publisher)}
          {facet('Thema', 'theme', result.facets.theme, v => THEME_LABELS[v] ?? v)}
          {facet('Lizenz', 'license', result.facets.license, licenseLabel)}
          {facet('Format', 'format', result.facets.format, formatLabel)}
        </aside>
        <section aria-label="Treffer">
          <p class="meta">{countLabel(result.total, result.totalExact)}</p>
          <ul class="treffer">
            {result.items.map(hit => (
              <li>
                <h3>
                  <a href={datasetHref(hit.provenance.publisher, hit.dataset.id)}>{hit.dataset.title}</a>
                </h3>
                <div class="meta">
                  {[
                    hit.provenance.kommune ?? hit.provenance.publisher,
                    hit.dataset.themes.map(t => THEME_LABELS[t] ?? t).join(', '),
                    licenseLabel(hit.dataset.license)
                  ]
                    .filter(part => part !== '')
                    .join(' · ')}{' '}
                  ·{' '}
                  <span class={hit.provenance.publisherOnline ? 'status-online' : 'status-offline'}>
                    {hit.provenance.publisherOnline ? 'Quelle online' : 'Quelle offline'}
                  </span>
                </div>
                <p>
                  {hit.dataset.description.slice(0, 240)}
                  {hit.dataset.description.length > 240 ? ' …' : ''}
                </p>
              </li>
            ))}
          </ul>
          <nav class="blaettern">
            {params.has('cursor') ? (
              <a
                href={(() => {
                  const p = new URLSearchParams(params)
                  p.delete('cursor')
                  return `/?${p.toString()}`
                })()}
              >
                Zum Anfang
              </a>
            ) : null}
            {result.nextCursor !== null ? <a href={`/?${more.toString()}`}>Weitere Treffer</a> : null}
          </nav>
        </section>
      </div>
    </>
  )
}

/** One dataset: metadata, provenance, files to download, its extent on a map. */
export function DatasetPage({
  view,
  online,
  fileUrl,
  previews = [],
  usedIn = [],
  ags,
  collectionUrl
}: {
  view: RegionalDatasetView
  online: boolean
  fileUrl: (distId: string) => string
  /** Maps and tables of the dataset's CSV and GeoJSON files. */
  previews?: DistributionPreview[]
  /** The use cases that use it. */
  usedIn?: UseCaseView[]
  /** The publisher's AGS: its Kommune is drawn on the maps. */
  ags?: string
  /** The OGC API collection of a file (what QGIS and GDAL open). */
  collectionUrl?: (distId: string) => string
}) {
  const d: DatasetMetadata = view.dataset
  return (
    <>
      <h1>{d.title}</h1>
      <p>{d.description}</p>
      <h2>Dateien</h2>
      {d.distributions.length === 0 ? (
        <p>Keine Dateien.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Datei</th>
              <th>Format</th>
              <th>Größe</th>
              <th>Lizenz</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {d.distributions.map(r => (
              <tr>
                <td>{r.title}</td>
                <td>{formatLabel(r.format)}</td>
                <td>{formatBytes(r.byteSize)}</td>
                <td>{licenseLabel(r.license)}</td>
                <td>
                  {r.sha256 !== undefined ? (
                    <a class="knopf" href={fileUrl(r.id)} download>
                      Herunterladen
                    </a>
                  ) : (
                    <a href={r.downloadURL ?? r.accessURL}>Externer Link</a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {previews.map(p => (
        <Preview
          preview={p}
          title={d.distributions.find(x => x.id === p.distributionId)?.title ?? p.distributionId}
          ags={ags}
          href={collectionUrl?.(p.distributionId)}
        />
      ))}
      <UsedIn items={usedIn} />
      <h2>Herkunft</h2>
      <table>
        <tbody>
          <tr>
            <th>Kommune</th>
            <td>
              {view.publisher.kommune ?? '–'}{' '}
              <span class={online ? 'status-online' : 'status-offline'}>({online ? 'online' : 'offline'})</span>
            </td>
          </tr>
          <tr>
            <th>Herausgeber-ID</th>
            <td>
              <code>{view.entry.publisher}</code>
            </td>
          </tr>
          <tr>
            <th>Eintrag</th>
            <td>
              Nr. {view.entry.seq}, Hash <code>{view.entry.hash.slice(0, 16)}…</code>
            </td>
          </tr>
          <tr>
            <th>Signiert am</th>
            <td>{formatDate(view.entry.issuedAt)}</td>
          </tr>
          <tr>
            <th>Empfangen am</th>
            <td>{formatDate(view.entry.receivedAt)}</td>
          </tr>
        </tbody>
      </table>
      <h2>Beschreibung</h2>
      <table>
        <tbody>
          <tr>
            <th>Themen</th>
            <td>{d.themes.map(t => THEME_LABELS[t] ?? t).join(', ') || '–'}</td>
          </tr>
          <tr>
            <th>Schlagwörter</th>
            <td>{d.keywords.join(', ') || '–'}</td>
          </tr>
          <tr>
            <th>Lizenz</th>
            <td>
              {licenseLabel(d.license)} <span class="meta">({d.license})</span>
            </td>
          </tr>
          <tr>
            <th>Zeitraum</th>
            <td>{d.temporal === undefined ? '–' : `${d.temporal.start ?? '…'} bis ${d.temporal.end ?? '…'}`}</td>
          </tr>
          <tr>
            <th>Aktualisiert</th>
            <td>{formatDate(d.modified)}</td>
          </tr>
          <tr>
            <th>Kontakt</th>
            <td>{d.contactPoint === undefined ? '–' : <a href={`mailto:${d.contactPoint.email}`}>{d.contactPoint.name}</a>}</td>
          </tr>
          <tr>
            <th>AGS</th>
            <td>{d.spatial?.ags ?? '–'}</td>
          </tr>
        </tbody>
      </table>
      {d.spatial?.bbox !== undefined ? (
        <>
          <h2>Räumliche Ausdehnung</h2>
          <ExtentMap items={[{ bbox: d.spatial.bbox, label: d.title }]} />
        </>
      ) : null}
    </>
  )
}

/** A file's features on a map and, for a CSV, its first rows. */
function Preview({ preview, title, ags, href }: { preview: DistributionPreview; title: string; ags?: string; href?: string }) {
  const f = preview.features
  return (
    <section class="vorschau">
      <h2>Vorschau: {title}</h2>
      {f === undefined ? null : (
        <>
          <p class="meta">
            {f.total.toLocaleString('de-DE')} Features
            {f.total > f.items.length ? `, die ersten ${f.items.length.toLocaleString('de-DE')} auf der Karte` : ''}
            {href === undefined ? null : (
              <>
                {' '}
                · für QGIS und GDAL (OGC API – Features): <a href={href}>{href}</a>
              </>
            )}
          </p>
          <FeatureMap
            ags={ags}
            features={f.items.map(x => ({
              geometry: x.geometry,
              label: Object.entries(x.properties)
                .slice(0, 4)
                .map(([k, v]) => `${k}: ${String(v)}`)
                .join('\n')
            }))}
          />
        </>
      )}
      {preview.table === undefined ? null : (
        <table class="tabelle">
          <thead>
            <tr>
              {preview.table.header.map(h => (
                <th>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {preview.table.rows.map(r => (
              <tr>
                {r.map(v => (
                  <td>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.note === undefined ? null : <p class="meta">{preview.note}</p>}
    </section>
  )
}

export function MapPage({ items }: { items: RegionalDatasetView[] }) {
  const withBox = items.filter(v => v.dataset.spatial?.bbox !== undefined)
  return (
    <>
      <h1>Karte</h1>
      <p class="meta">
        {withBox.length} Datensätze mit räumlicher Ausdehnung über den Kreisen und Kommunen Südwestfalens (Kreisumrisse vereinfacht). Ein
        Rechteck öffnet den Datensatz; ein dunkleres fasst Datensätze mit gleicher Ausdehnung zusammen und öffnet ihre Suche.
      </p>
      <ExtentMap
        items={withBox.map(v => ({
          bbox: v.dataset.spatial!.bbox!,
          label: `${v.dataset.title} (${v.publisher.kommune ?? ''})`,
          href: datasetHref(v.entry.publisher, v.dataset.id)
        }))}
      />
    </>
  )
}

export interface RegionRow {
  kommune: string
  ags: string
  peerId: string
  online: boolean
  self: boolean
  entries: number
  lag: number
  lastSync: string | null
  equivocations: number
}

export function RegionPage({
  rows,
  serial,
  lastFetch,
  stale
}: {
  rows: RegionRow[]
  serial: number | null
  lastFetch: string | null
  stale: boolean
}) {
  return (
    <>
      <h1>Region</h1>
      {serial === null ? (
        <p class="hinweis">Dieser Knoten ist keiner Region beigetreten (kein Register konfiguriert).</p>
      ) : (
        <p class="meta">
          Teilnehmerliste Nr. {serial}, zuletzt abgerufen: {formatDate(lastFetch)}
        </p>
      )}
      {stale ? (
        <p class="hinweis">
          Die Teilnehmerliste ist veraltet: das Register war länger nicht erreichbar. Ausschlüsse von Teilnehmern kommen erst an, wenn es
          wieder antwortet.
        </p>
      ) : null}
      {rows
        .filter(r => r.equivocations > 0)
        .map(r => (
          <p class="hinweis">
            Warnung: {r.kommune} hat widersprüchliche Einträge signiert (zwei Fassungen für dieselbe Laufnummer; {r.equivocations} Nachweis
            {r.equivocations === 1 ? '' : 'e'} gespeichert). Es gilt die Fassung mit dem kleineren Hash.
          </p>
        ))}
      <table>
        <thead>
          <tr>
            <th>Kommune</th>
            <th>AGS</th>
            <th>Status</th>
            <th>Einträge</th>
            <th>Rückstand</th>
            <th>Letzter Abgleich</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(r => (
            <tr>
              <td>
                {r.kommune}
                {r.self ? ' (dieser Knoten)' : ''}
                {r.equivocations > 0 ? ' ⚠ widersprüchlich signiert' : ''}
              </td>
              <td>{r.ags}</td>
              <td class={r.online ? 'status-online' : 'status-offline'}>{r.online ? 'online' : 'offline'}</td>
              <td>{r.entries}</td>
              <td>{r.lag}</td>
              <td>{r.self ? '–' : formatDate(r.lastSync)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
