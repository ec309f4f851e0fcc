/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { DATA_THEMES, LICENSES, type DatasetMetadata } from '@swf/protocol'
import type { DatasetView } from '../services/catalog-service.js'
import { licenseLabel, naturalOrder, THEME_LABELS } from './layout.js'

export interface FormValues {
  id?: string
  title?: string
  description?: string
  license?: string
  themes?: string[]
  keywords?: string
  ags?: string
  bbox?: string
  /** EU file-type code of the file, when its type does not name one. */
  format?: string
}

/** German names of the form fields, for error messages. */
const FIELD_LABELS: Record<string, string> = {
  id: 'Kennung',
  title: 'Titel',
  description: 'Beschreibung',
  license: 'Lizenz',
  themes: 'Themen',
  keywords: 'Schlagwörter',
  spatial: 'Raumbezug',
  'spatial.ags': 'AGS',
  'spatial.bbox': 'Ausdehnung',
  file: 'Datei',
  format: 'Dateiformat'
}

/** Fields the form shows errors next to; a problem of any other field is shown above the form. */
const FORM_FIELDS = new Set(['id', 'title', 'description', 'license', 'themes', 'keywords', 'ags', 'bbox', 'file', 'format'])

export function germanError(field: string | undefined, message: string): { field: string; text: string } {
  const named =
    field === undefined
      ? 'form'
      : field.startsWith('spatial.bbox')
        ? 'bbox'
        : field.startsWith('themes')
          ? 'themes'
          : field.startsWith('keywords')
            ? 'keywords'
            : // What the service names of the file's distribution is the file field here.
              field === 'distributionId' || field === 'mediaType'
              ? 'file'
              : field.replace(/^spatial\./, '')
  const key = FORM_FIELDS.has(named) ? named : 'form'
  const label = FIELD_LABELS[field ?? ''] ?? FIELD_LABELS[key] ?? field ?? 'Eingabe'
  const unknownType = key === 'format' ? /no EU file-type code known for ([^\s;]+)/.exec(message)?.[1] : undefined
  const text = /must not be empty|^required|expected string, received undefined/i.test(message)
    ? `${label}: bitte ausfüllen.`
    : key === 'license'
      ? 'Lizenz: bitte eine Lizenz aus der Liste wählen.'
      : key === 'bbox' && /swapped/.test(message)
        ? 'Ausdehnung: Länge und Breite scheinen vertauscht – erst Länge West, dann Breite Süd, Länge Ost, Breite Nord, z. B. 7.95, 51.35, 8.15, 51.45.'
        : key === 'bbox' && /outside Germany/.test(message)
          ? 'Ausdehnung: liegt nicht in Deutschland; Länge West, Breite Süd, Länge Ost, Breite Nord in Grad (WGS84).'
          : key === 'bbox'
            ? 'Ausdehnung: vier Zahlen „Länge West, Breite Süd, Länge Ost, Breite Nord“ (WGS84).'
            : key === 'ags' && / is no Kommune of the /.test(message)
              ? `AGS: ${message.replace(/^(\d+) is no Kommune of the ([^(]+) \(its keys: (.*)\)$/, '$1 ist keine Kommune im $2 (gültig: $3).')}`
              : key === 'ags'
                ? 'AGS: kein Gemeindeschlüssel – 8 Ziffern, die ersten beiden das Land (01–16), z. B. 05974040.'
                : key === 'file' && /empty/.test(message)
                  ? 'Datei: die Datei ist leer (0 Byte).'
                  : key === 'file' && field === 'distributionId'
                    ? 'Datei: aus dem Dateinamen entsteht keine gültige Kennung; bitte die Datei umbenennen (Buchstaben, Ziffern, „-“).'
                    : key === 'file' && field === 'mediaType'
                      ? 'Datei: der Browser nennt einen ungültigen Dateityp; bitte das Dateiformat angeben.'
                      : unknownType !== undefined
                        ? `Dateiformat: für diesen Dateityp (${unknownType}) ist kein Dateiformat bekannt. Bitte das Format angeben, z. B. CSV, GEOJSON, GPX, oder eine Datei in einem bekannten Format wählen.`
                        : key === 'format'
                          ? 'Dateiformat: ein EU-Dateityp in Großbuchstaben, Ziffern und „_“, z. B. CSV, GEOJSON, GPX.'
                          : key === 'id'
                            ? 'Kennung: nur Kleinbuchstaben, Ziffern, „-“ und „_“ (höchstens 100 Zeichen).'
                            : `${label}: ${message}`
  return { field: key, text }
}

export function LoginPage({ failed }: { failed?: boolean }) {
  return (
    <>
      <h1>Verwaltung</h1>
      <form class="formular" method="post" action="/verwaltung/anmelden">
        <label for="token">Admin-Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        {failed === true ? (
          <p class="fehler" role="alert">
            Das Token ist nicht gültig.
          </p>
        ) : null}
        <p>
          <button type="submit">Anmelden</button>
        </p>
      </form>
      <p class="meta">
        Das Token steht in der Datei <code>admin-token</code> im Datenverzeichnis des Knotens.
      </p>
    </>
  )
}

export function DashboardPage({ datasets, csrf }: { datasets: DatasetView[]; csrf: string }) {
  return (
    <>
      <h1>Verwaltung</h1>
      <p>
        <a class="knopf" href="/verwaltung/neu">
          Neuen Datensatz veröffentlichen
        </a>
      </p>
      <h2>Eigene Datensätze</h2>
      {datasets.length === 0 ? (
        <p>Noch keine Datensätze.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Titel</th>
              <th>Dateien</th>
              <th>Eintrag</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {[...datasets]
              .sort((a, b) => naturalOrder(a.dataset.title, b.dataset.title) || naturalOrder(a.dataset.id, b.dataset.id))
              .map(v => (
                <tr>
                  <td>{v.dataset.title}</td>
                  <td>{v.dataset.distributions.length}</td>
                  <td>{v.entry.seq}</td>
                  <td>
                    <a href={`/verwaltung/bearbeiten/${v.dataset.id}`}>Bearbeiten</a>
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      <form method="post" action="/verwaltung/abmelden">
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit">Abmelden</button>
      </form>
    </>
  )
}

export function valuesOf(d: DatasetMetadata): FormValues {
  return {
    id: d.id,
    title: d.title,
    description: d.description,
    license: d.license,
    themes: d.themes,
    keywords: d.keywords.join(', '),
    ags: d.spatial?.ags ?? '',
    bbox: d.spatial?.bbox?.join(', ') ?? ''
  }
}

/** Publish or edit a dataset; errors appear next to their field. */
export function DatasetForm({
  values,
  errors,
  editing,
  csrf
}: {
  values: FormValues
  errors: Array<{ field: string; text: string }>
  editing?: string
  csrf: string
}) {
  const err = (field: string) =>
    errors
      .filter(e => e.field === field)
      .map(e => (
        <p class="fehler" role="alert">
          {e.text}
        </p>
      ))
  return (
    <>
      <h1>{editing === undefined ? 'Datensatz veröffentlichen' : `Datensatz bearbeiten: ${values.title ?? ''}`}</h1>
      {errors.length > 0 ? (
        <p class="fehler" role="alert">
          Bitte die markierten Angaben prüfen.
        </p>
      ) : null}
      {err('form')}
      <form
        class="formular"
        method="post"
        enctype="multipart/form-data"
        action={editing === undefined ? '/verwaltung/neu' : `/verwaltung/bearbeiten/${editing}`}
      >
        <input type="hidden" name="csrf" value={csrf} />
        <label for="title">Titel *</label>
        <input id="title" name="title" type="text" value={values.title ?? ''} required maxlength={500} />
        {err('title')}
        <label for="description">Beschreibung *</label>
        <textarea id="description" name="description" rows={5} required>
          {values.description ?? ''}
        </textarea>
        {err('description')}
        {editing === undefined ? (
          <>
            <label for="id">Kennung (optional, sonst aus dem Titel)</label>
            <input id="id" name="id" type="text" value={values.id ?? ''} />
            {err('id')}
          </>
        ) : null}
        <label for="license">Lizenz *</label>
        <select id="license" name="license" required>
          <option value="">– bitte wählen –</option>
          {LICENSES.map(l => (
            <option value={l} selected={values.license === l}>
              {licenseLabel(l)}
            </option>
          ))}
          {/* A licence an import kept as given (an IRI outside the vocabulary) stays selectable. */}
          {values.license !== undefined && values.license !== '' && !(LICENSES as readonly string[]).includes(values.license) ? (
            <option value={values.license} selected>
              {values.license} (aus dem Import)
            </option>
          ) : null}
        </select>
        {err('license')}
        <fieldset>
          <legend>Themen</legend>
          {DATA_THEMES.map(t => (
            <label style="font-weight:normal;display:inline-block;margin-right:1rem">
              <input type="checkbox" name="themes" value={t} checked={values.themes?.includes(t)} /> {THEME_LABELS[t]}
            </label>
          ))}
        </fieldset>
        {err('themes')}
        <label for="keywords">Schlagwörter (durch Komma getrennt)</label>
        <input id="keywords" name="keywords" type="text" value={values.keywords ?? ''} />
        {err('keywords')}
        <label for="ags">AGS (Amtlicher Gemeindeschlüssel)</label>
        <input id="ags" name="ags" type="text" value={values.ags ?? ''} inputmode="numeric" />
        {err('ags')}
        <label for="bbox">Ausdehnung (Länge West, Breite Süd, Länge Ost, Breite Nord)</label>
        <input id="bbox" name="bbox" type="text" value={values.bbox ?? ''} placeholder="7.95, 51.35, 8.15, 51.45" />
        {err('bbox')}
        <label for="file">{editing === undefined ? 'Datei (optional)' : 'Datei hinzufügen oder ersetzen (optional)'}</label>
        <input id="file" name="file" type="file" />
        {err('file')}
        <label for="format">Dateiformat (optional, sonst aus dem Dateityp, z. B. CSV, GEOJSON, GPX)</label>
        <input id="format" name="format" type="text" value={values.format ?? ''} maxlength={30} />
        {err('format')}
        <p>
          <button type="submit">{editing === undefined ? 'Veröffentlichen' : 'Speichern'}</button>
        </p>
      </form>
    </>
  )
}
