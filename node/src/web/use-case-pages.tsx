/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { DATA_THEMES, USE_CASE_STATUSES } from '@swf/protocol'
import type { RoleFit, UseCaseView, UsedDataset } from '../services/use-case-service.js'
import { THEME_LABELS, formatDate, formatLabel } from './layout.js'
import { KommunenMap } from './map.js'

// The "Anwendungen" pages: what Kommunen built on open data, who runs it,
// and what a Kommune would need to run it too.

export const STATUS_LABELS: Record<string, string> = { idea: 'Idee', pilot: 'Pilot', 'in-operation': 'In Betrieb' }
const LINK_LABELS: Record<string, string> = {
  source: 'Quellcode',
  'app-store': 'App',
  documentation: 'Dokumentation',
  website: 'Website'
}

export interface UseCaseListParams {
  q: string
  status: string
  theme: string
}

export function UseCaseListPage({
  items,
  total,
  params,
  kommunen
}: {
  items: UseCaseView[]
  total: number
  params: UseCaseListParams
  kommunen: Array<{ peerId: string; name: string; count: number }>
}) {
  const link = (change: Partial<UseCaseListParams> & { publisher?: string }) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries({ ...params, ...change })) if (v !== '') p.set(k, v)
    return `/anwendungen?${p.toString()}`
  }
  return (
    <>
      <h1>Anwendungen</h1>
      <p>
        Was Kommunen der Region mit offenen Daten gebaut haben – Apps, Sensornetze, Erhebungen – und wer sie schon nachnutzt. Jede Anwendung
        ist ein signierter Eintrag ihrer Kommune.
      </p>
      <form class="suche" method="get" action="/anwendungen">
        <input type="search" name="q" value={params.q} aria-label="Anwendungen durchsuchen" placeholder="z. B. Radroute, Kita, Verkehr" />
        <button type="submit">Suchen</button>
      </form>
      <div class="katalog">
        <aside class="facetten">
          <h2>Status</h2>
          <ul>
            {USE_CASE_STATUSES.map(s => (
              <li>
                <a href={link({ status: params.status === s ? '' : s })} aria-current={params.status === s ? 'true' : undefined}>
                  {STATUS_LABELS[s]}
                </a>
              </li>
            ))}
          </ul>
          <h2>Thema</h2>
          <ul>
            {DATA_THEMES.filter(t => items.some(u => u.useCase.needs.themes.includes(t)) || params.theme === t).map(t => (
              <li>
                <a href={link({ theme: params.theme === t ? '' : t })} aria-current={params.theme === t ? 'true' : undefined}>
                  {THEME_LABELS[t] ?? t}
                </a>
              </li>
            ))}
          </ul>
          <h2>Kommune</h2>
          <ul>
            {kommunen.map(k => (
              <li>
                <a href={link({ publisher: k.peerId })}>
                  {k.name} ({k.count})
                </a>
              </li>
            ))}
          </ul>
        </aside>
        <section>
          <p class="meta">{total === 1 ? '1 Anwendung' : `${total.toLocaleString('de-DE')} Anwendungen`}</p>
          <ul class="treffer">
            {items.map(u => (
              <li>
                <a href={`/anwendung/${u.publisher}/${u.useCase.id}`}>{u.useCase.title}</a>
                <p class="meta">
                  {u.kommune ?? u.publisher} · {STATUS_LABELS[u.useCase.status]}
                  {u.takesOver === null ? '' : ` · übernommen von ${u.takesOver.kommune ?? u.takesOver.publisher}`}
                  {u.takenOverBy.length === 0 ? '' : ` · genutzt von ${u.takenOverBy.length + 1} Kommunen`}
                </p>
                <p>{u.useCase.problem}</p>
              </li>
            ))}
          </ul>
          {items.length === 0 ? <p>Keine Anwendung gefunden.</p> : null}
        </section>
      </div>
    </>
  )
}

function DatasetCell({ d }: { d: UsedDataset }) {
  return d.dangling ? (
    <span class="fehlt" title="Dieser Datensatz ist im Katalog nicht (mehr) vorhanden">
      {d.datasetId} ({d.kommune ?? d.publisher}) – nicht im Katalog
    </span>
  ) : (
    <a href={`/datensatz/${d.publisher}/${d.datasetId}`}>
      {d.title} ({d.kommune ?? d.publisher})
    </a>
  )
}

export function UseCasePage({
  view,
  self,
  agsOf,
  fit
}: {
  view: UseCaseView
  /** This node's Kommune: the take-over section is for it. */
  self: { peerId: string; name: string }
  agsOf: (peerId: string) => string | undefined
  /** When this Kommune does not run it yet: its datasets per role (the form to take it over is in the admin area). */
  fit: RoleFit[] | undefined
}) {
  const u = view.useCase
  const runs = [
    { peerId: view.publisher, label: `${view.kommune ?? view.publisher} (Original)` },
    ...view.takenOverBy.map(t => ({ peerId: t.publisher, label: t.kommune ?? t.publisher }))
  ]
  return (
    <>
      <h1>{u.title}</h1>
      <p class="meta">
        {view.kommune ?? view.publisher} · {STATUS_LABELS[u.status]} · signiert am {formatDate(view.entry.issuedAt)}
      </p>
      {view.takesOver === null ? null : (
        <p>
          Übernommen von{' '}
          {view.takesOver.dangling ? (
            <span class="fehlt">{view.takesOver.id} (nicht mehr im Katalog)</span>
          ) : (
            <a href={`/anwendung/${view.takesOver.publisher}/${view.takesOver.id}`}>
              {view.takesOver.title} ({view.takesOver.kommune})
            </a>
          )}
        </p>
      )}
      <h2>Welches Problem sie löst</h2>
      <p>{u.problem}</p>
      <h2>Beschreibung</h2>
      <p>{u.description}</p>
      {u.images.length === 0 ? null : (
        <div class="bilder">
          {u.images.map((img, i) => (
            <figure>
              <img src={`/api/v1/use-cases/${view.publisher}/${u.id}/images/${i + 1}`} alt={img.title} loading="lazy" />
              <figcaption>{img.title}</figcaption>
            </figure>
          ))}
        </div>
      )}
      <h2>Genutzte Daten</h2>
      {view.datasets.length === 0 ? (
        <p>Keine Datensätze angegeben.</p>
      ) : (
        <table class="daten">
          <thead>
            <tr>
              <th>Rolle</th>
              <th>Datensatz</th>
            </tr>
          </thead>
          <tbody>
            {view.datasets.map(d => (
              <tr>
                <td>{d.role}</td>
                <td>
                  <DatasetCell d={d} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="meta">
        Benötigt: {u.needs.themes.map(t => THEME_LABELS[t] ?? t).join(', ') || '–'}
        {u.needs.formats.length === 0 ? '' : ` · Formate: ${u.needs.formats.map(formatLabel).join(', ')}`}
      </p>
      {u.needs.schema === undefined ? null : <pre class="schema">{u.needs.schema}</pre>}
      {u.links.length === 0 ? null : (
        <ul class="links">
          {u.links.map(l => (
            <li>
              <a href={l.url} rel="noopener noreferrer">
                {l.title ?? LINK_LABELS[l.kind] ?? l.kind}
              </a>
            </li>
          ))}
        </ul>
      )}
      <p class="meta">
        {u.softwareLicense === undefined ? null : <>Software-Lizenz: {u.softwareLicense} · </>}
        {u.contactPoint === undefined ? null : <a href={`mailto:${u.contactPoint.email}`}>{u.contactPoint.name}</a>}
      </p>
      <h2>Wer sie nutzt</h2>
      <ul class="nutzer">
        {runs.map(r => (
          <li>{r.label}</li>
        ))}
      </ul>
      <KommunenMap highlight={runs.flatMap(r => agsOf(r.peerId) ?? [])} label="Kommunen, die diese Anwendung nutzen" />
      {fit === undefined ? null : <FitSection view={view} fit={fit} self={self} csrf={undefined} />}
    </>
  )
}

export function FitSection({
  view,
  fit,
  self,
  csrf
}: {
  view: UseCaseView
  fit: RoleFit[]
  self: { peerId: string; name: string }
  /** In the admin area: the form with a choice per role. */
  csrf: string | undefined
}) {
  return (
    <section class="nachnutzung">
      <h2>Nachnutzen in {self.name}</h2>
      <p>Welche Datensätze von {self.name} die Rollen des Originals füllen würden (gleiches Thema oder Format):</p>
      <form method="post" action="/verwaltung/anwendung/uebernehmen" class="formular">
        {csrf === undefined ? null : <input type="hidden" name="csrf" value={csrf} />}
        <input type="hidden" name="publisher" value={view.publisher} />
        <input type="hidden" name="id" value={view.useCase.id} />
        <table>
          <thead>
            <tr>
              <th>Rolle</th>
              <th>Original</th>
              <th>Passende eigene Daten</th>
            </tr>
          </thead>
          <tbody>
            {fit.map((r, i) => (
              <tr>
                <td>{r.role}</td>
                <td>
                  {r.original.map(d => (
                    <DatasetCell d={d} />
                  ))}
                </td>
                <td>
                  {r.missing ? (
                    <span class="fehlt">fehlt – kein passender Datensatz</span>
                  ) : csrf === undefined ? (
                    <ul class="kandidaten">
                      {r.candidates.map(c => (
                        <li>
                          <a href={`/datensatz/${self.peerId}/${c.datasetId}`}>{c.title}</a>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <>
                      <input type="hidden" name={`role.${i}`} value={r.role} />
                      <select name={`dataset.${i}`} aria-label={`Datensatz für ${r.role}`}>
                        {r.candidates.map(c => (
                          <option value={c.datasetId}>{c.title}</option>
                        ))}
                        <option value="">(keiner)</option>
                      </select>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {csrf === undefined ? (
          <p>
            <a class="knopf" href={`/verwaltung/anwendung/uebernehmen?publisher=${view.publisher}&id=${view.useCase.id}`}>
              Für {self.name} übernehmen
            </a>
          </p>
        ) : (
          <button type="submit">Für {self.name} übernehmen</button>
        )}
      </form>
    </section>
  )
}

/** The use cases a dataset is used in, for its page. */
export function UsedIn({ items }: { items: UseCaseView[] }) {
  if (items.length === 0) return null
  return (
    <>
      <h2>Genutzt in Anwendungen</h2>
      <ul>
        {items.map(u => (
          <li>
            <a href={`/anwendung/${u.publisher}/${u.useCase.id}`}>{u.useCase.title}</a> ({u.kommune ?? u.publisher},{' '}
            {STATUS_LABELS[u.useCase.status]})
          </li>
        ))}
      </ul>
    </>
  )
}
