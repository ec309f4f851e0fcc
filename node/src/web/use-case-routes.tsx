/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import type { Context, Hono, MiddlewareHandler } from 'hono'
import type { BlankEnv } from 'hono/types'
import { DATA_THEMES, USE_CASE_STATUSES, slugify } from '@swf/protocol'
import { ConflictError, NotFoundError, ValidationError } from '../errors.js'
import type { UseCaseService } from '../services/use-case-service.js'
import type { AdminSession } from './admin-sessions.js'
import type { NavKey } from './layout.js'
import { FitSection, STATUS_LABELS, UseCaseListPage, UseCasePage } from './use-case-pages.js'
import { THEME_LABELS } from './layout.js'

export interface UseCaseWebDeps {
  useCases: UseCaseService
  self: { peerId: string; name: string }
  agsOf: (peerId: string) => string | undefined
  page: (
    c: Context,
    title: string,
    nav: NavKey | undefined,
    body: unknown,
    status?: 200 | 400 | 403 | 404 | 413 | 429
  ) => Response | Promise<Response>
  sessionOf: (c: Context) => AdminSession | undefined
  /** A form post of a logged-in admin from this node's own form, or the refusal to send. */
  checkedPost: (c: Context, form: Record<string, unknown>) => Promise<AdminSession | Response>
  requireLogin: MiddlewareHandler<BlankEnv>
}

/** "Anwendungen": list, detail with take-over, and the admin's form to publish one. */
export function useCaseWebRoutes(app: Hono, deps: UseCaseWebDeps): void {
  const { useCases, self, page } = deps

  app.get('/anwendungen', c => {
    const q = c.req.query('q') ?? ''
    const status = (USE_CASE_STATUSES as readonly string[]).includes(c.req.query('status') ?? '') ? c.req.query('status')! : ''
    const theme = (DATA_THEMES as readonly string[]).includes(c.req.query('theme') ?? '') ? c.req.query('theme')! : ''
    const publisher = c.req.query('publisher')
    const words = q.match(/[\p{L}\p{N}]+/gu) ?? []
    const result = useCases.list(
      {
        words,
        ...(status === '' ? {} : { status }),
        ...(theme === '' ? {} : { theme }),
        ...(publisher === undefined ? {} : { publisher })
      },
      100,
      0
    )
    return page(
      c,
      'Anwendungen',
      'anwendungen',
      <UseCaseListPage items={result.items} total={result.total} params={{ q, status, theme }} kommunen={useCases.publishers()} />
    )
  })

  app.get('/anwendung/:publisher/:id', c => {
    const { publisher, id } = c.req.param()
    let view
    try {
      view = useCases.get(publisher, id)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      return page(c, 'Nicht gefunden', 'anwendungen', <p>Diese Anwendung gibt es im regionalen Katalog nicht (mehr).</p>, 404)
    }
    // A Kommune that neither published nor took it over sees what it would need.
    const runs = view.publisher === self.peerId || view.takenOverBy.some(t => t.publisher === self.peerId) || view.takesOver !== null
    const fit = runs ? undefined : useCases.fit(view.publisher, view.useCase.id, self.peerId)
    return page(c, view.useCase.title, 'anwendungen', <UseCasePage view={view} self={self} agsOf={deps.agsOf} fit={fit} />)
  })

  app.use('/verwaltung/anwendung/*', deps.requireLogin)

  // The session cookie lives under /verwaltung: the form with its CSRF token is served from there.
  app.get('/verwaltung/anwendung/uebernehmen', c => {
    const view = useCases.get(c.req.query('publisher') ?? '', c.req.query('id') ?? '')
    return page(
      c,
      `Übernehmen: ${view.useCase.title}`,
      'verwaltung',
      <>
        <h1>{view.useCase.title}</h1>
        <FitSection
          view={view}
          fit={useCases.fit(view.publisher, view.useCase.id, self.peerId)}
          self={self}
          csrf={deps.sessionOf(c)!.csrf}
        />
      </>
    )
  })

  app.post('/verwaltung/anwendung/uebernehmen', async c => {
    const form = await c.req.parseBody()
    const checked = await deps.checkedPost(c, form)
    if (checked instanceof Response) return checked
    const text = (k: string): string => (typeof form[k] === 'string' ? form[k].trim() : '')
    try {
      const original = useCases.get(text('publisher'), text('id'))
      const datasets: Array<{ role: string; publisher: string; datasetId: string }> = []
      // One form row per role of the original (fewer roles than datasets when a role has several).
      for (let i = 0; i < original.datasets.length; i++) {
        if (text(`role.${i}`) === '' || text(`dataset.${i}`) === '') continue
        datasets.push({ role: text(`role.${i}`), publisher: self.peerId, datasetId: text(`dataset.${i}`) })
      }
      const u = original.useCase
      const body = {
        title: u.title,
        description: u.description,
        problem: u.problem,
        status: 'pilot',
        datasets,
        needs: u.needs,
        links: u.links,
        ...(u.softwareLicense === undefined ? {} : { softwareLicense: u.softwareLicense }),
        takesOver: { publisher: original.publisher, useCaseId: u.id }
      }
      let id = u.id
      try {
        await useCases.create({ ...body, id })
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err
        // The Kommune uses this id already (for a dataset or another use case).
        id = slugify(`${u.id}-${self.name}`).slice(0, 100)
        await useCases.create({ ...body, id })
      }
      return c.redirect(`/anwendung/${self.peerId}/${id}`, 303)
    } catch (err) {
      if (!(err instanceof ValidationError) && !(err instanceof NotFoundError)) throw err
      return page(c, 'Nicht übernommen', 'anwendungen', <p class="fehler">Nicht übernommen: {err.message}</p>, 400)
    }
  })

  app.get('/verwaltung/anwendung/neu', c =>
    page(c, 'Anwendung veröffentlichen', 'verwaltung', <UseCaseForm csrf={deps.sessionOf(c)!.csrf} values={{}} />)
  )

  app.post('/verwaltung/anwendung/neu', async c => {
    const form = await c.req.parseBody({ all: true })
    const checked = await deps.checkedPost(c, form)
    if (checked instanceof Response) return checked
    const text = (k: string): string => (typeof form[k] === 'string' ? form[k].trim() : '')
    const values: UseCaseFormValues = Object.fromEntries(
      ['title', 'description', 'problem', 'status', 'datasets', 'formats', 'schema', 'source', 'website', 'softwareLicense'].map(k => [
        k,
        text(k)
      ])
    )
    values.themes = ([] as unknown[]).concat(form.themes ?? []).filter((t): t is string => typeof t === 'string')
    try {
      const result = await useCases.create({
        id: slugify(values.title ?? '') || 'anwendung',
        title: values.title,
        description: values.description,
        problem: values.problem,
        status: values.status,
        datasets: (values.datasets ?? '')
          .split('\n')
          .map(l => l.trim())
          .filter(l => l !== '')
          .map(l => {
            // "Rolle = datensatz" (own) or "Rolle = peer-id/datensatz" (another Kommune's).
            const [role, ref] = l.split('=').map(x => x.trim())
            const [a, b] = (ref ?? '').split('/')
            return b === undefined ? { role, publisher: self.peerId, datasetId: a } : { role, publisher: a, datasetId: b }
          }),
        needs: {
          themes: values.themes,
          formats: (values.formats ?? '')
            .split(',')
            .map(f => f.trim().toUpperCase())
            .filter(f => f !== ''),
          ...(values.schema === '' ? {} : { schema: values.schema })
        },
        links: [
          ...(values.source === '' ? [] : [{ kind: 'source', url: values.source }]),
          ...(values.website === '' ? [] : [{ kind: 'website', url: values.website }])
        ],
        ...(values.softwareLicense === '' ? {} : { softwareLicense: values.softwareLicense })
      })
      return c.redirect(`/anwendung/${self.peerId}/${result.useCase!.id}`, 303)
    } catch (err) {
      if (!(err instanceof ValidationError) && !(err instanceof ConflictError)) throw err
      return page(
        c,
        'Bitte prüfen',
        'verwaltung',
        <UseCaseForm
          csrf={checked.csrf}
          values={values}
          error={`${'field' in err && err.field !== undefined ? `${err.field}: ` : ''}${err.message}`}
        />,
        400
      )
    }
  })
}

interface UseCaseFormValues {
  title?: string
  description?: string
  problem?: string
  status?: string
  datasets?: string
  formats?: string
  schema?: string
  source?: string
  website?: string
  softwareLicense?: string
  themes?: string[]
}

function UseCaseForm({ csrf, values, error }: { csrf: string; values: UseCaseFormValues; error?: string }) {
  return (
    <>
      <h1>Anwendung veröffentlichen</h1>
      {error === undefined ? null : (
        <p class="fehler" role="alert">
          {error}
        </p>
      )}
      <form class="formular" method="post" action="/verwaltung/anwendung/neu">
        <input type="hidden" name="csrf" value={csrf} />
        <label for="title">Titel *</label>
        <input id="title" name="title" type="text" value={values.title ?? ''} required maxlength={500} />
        <label for="problem">Welches Problem sie löst *</label>
        <textarea id="problem" name="problem" rows={3} required>
          {values.problem ?? ''}
        </textarea>
        <label for="description">Beschreibung *</label>
        <textarea id="description" name="description" rows={5} required>
          {values.description ?? ''}
        </textarea>
        <label for="status">Status</label>
        <select id="status" name="status">
          {USE_CASE_STATUSES.map(s => (
            <option value={s} selected={values.status === s}>
              {STATUS_LABELS[s]}
            </option>
          ))}
        </select>
        <label for="datasets">Genutzte Datensätze, je Zeile „Rolle = Kennung“ (eigene) oder „Rolle = Peer-ID/Kennung“</label>
        <textarea id="datasets" name="datasets" rows={4}>
          {values.datasets ?? ''}
        </textarea>
        <fieldset>
          <legend>Benötigte Themen</legend>
          {DATA_THEMES.map(t => (
            <label class="auswahl">
              <input type="checkbox" name="themes" value={t} checked={values.themes?.includes(t)} /> {THEME_LABELS[t] ?? t}
            </label>
          ))}
        </fieldset>
        <label for="formats">Benötigte Formate (z. B. GEOJSON, CSV)</label>
        <input id="formats" name="formats" type="text" value={values.formats ?? ''} />
        <label for="schema">Erwartetes Schema</label>
        <textarea id="schema" name="schema" rows={3}>
          {values.schema ?? ''}
        </textarea>
        <label for="source">Quellcode (URL)</label>
        <input id="source" name="source" type="url" value={values.source ?? ''} />
        <label for="website">Website oder App (URL)</label>
        <input id="website" name="website" type="url" value={values.website ?? ''} />
        <label for="softwareLicense">Software-Lizenz (z. B. EUPL-1.2)</label>
        <input id="softwareLicense" name="softwareLicense" type="text" value={values.softwareLicense ?? ''} />
        <button type="submit">Veröffentlichen</button>
      </form>
    </>
  )
}
