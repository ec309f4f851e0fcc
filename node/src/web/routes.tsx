/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import type { BlankEnv } from 'hono/types'
import { bodyLimit } from 'hono/body-limit'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { secureHeaders } from 'hono/secure-headers'
import { clientAddress } from '../http/client-address.js'
import type { AuthFailures } from '../http/rate-limit.js'
import { searchQuerySchema, type DatasetMetadata } from '@swf/protocol'
import { ValidationError, NotFoundError, ConflictError } from '../errors.js'
import { downloadPath } from '../file-names.js'
import type { DistributionPreviews } from '../features/distribution-preview.js'
import { tokenChecker } from '../http/auth.js'
import { UploadTooLargeError } from '../blob-store.js'
import type { RegionStatus } from '../region/region-status.js'
import type { ParticipantDirectory } from '../region/participant-directory.js'
import type { CatalogService, FileUpload } from '../services/catalog-service.js'
import type { EntryStore } from '../services/entry-store.js'
import type { RegionalCatalog } from '../services/regional-catalog.js'
import type { SearchService } from '../services/search-service.js'
import { DashboardPage, DatasetForm, germanError, LoginPage, valuesOf, type FormValues } from './admin.js'
import { Layout, type NavKey } from './layout.js'
import { CatalogPage, DatasetPage, MapPage, RegionPage, type RegionRow } from './pages.js'
import { STYLES } from './styles.js'
import { bboxFromText } from '../spatial/extent.js'
import { AdminSessions, csrfMatches, type AdminSession } from './admin-sessions.js'
import { useCaseWebRoutes } from './use-case-routes.js'
import type { UseCaseService } from '../services/use-case-service.js'

export interface WebDeps {
  kommune: { name: string; ags: string }
  peerId: string
  adminToken: string
  /** Shared with the API's token check: wrong tokens count against the client address in both. */
  authFailures: AuthFailures
  maxUploadBytes: number
  catalog: CatalogService
  search: SearchService
  regional: RegionalCatalog
  store: EntryStore
  region?: RegionStatus
  directory?: ParticipantDirectory
  /** config http.publicUrl: an https one means the node sits behind TLS (cookies get Secure). */
  publicUrl?: string
  /** Maps and tables of a dataset's files. */
  previews: DistributionPreviews
  /** The OGC API collection id of a file. */
  collectionIdOf: (publisher: string, datasetId: string, distId: string) => string
  useCases: UseCaseService
}

const COOKIE = 'swf_session'
const LIST_PARAMS = ['publisher', 'theme', 'license', 'format'] as const

/** The German web UI: catalog, dataset pages, map, region, and the admin area. */
export function webRoutes(deps: WebDeps): Hono {
  const app = new Hono()
  const isAdmin = tokenChecker(deps.adminToken)
  const agsOf = (peer: string): string | undefined =>
    peer === deps.peerId ? deps.kommune.ags : deps.directory?.participants().find(p => p.peerId === peer)?.ags
  const online = (peer: string): boolean => peer === deps.peerId || (deps.region?.isConnected(peer) ?? false)
  const page = (c: Context, title: string, nav: NavKey | undefined, body: unknown, status: 200 | 400 | 403 | 404 | 413 | 429 = 200) =>
    c.html(
      <Layout title={title} kommune={deps.kommune.name} nav={nav}>
        {body as never}
      </Layout>,
      status
    )

  const csp = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"]
    },
    referrerPolicy: 'same-origin'
  })
  // Only the UI's pages: the API and the OpenAPI reference have their own headers.
  for (const path of ['/', '/datensatz/*', '/karte', '/region', '/verwaltung', '/verwaltung/*']) app.use(path, csp)
  app.get('/assets/app.css', c =>
    c.body(STYLES, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=3600' })
  )

  app.get('/', c => {
    const url = new URL(c.req.url)
    const raw: Record<string, unknown> = { limit: 20 }
    const q = url.searchParams.get('q')
    if (q !== null && q.trim() !== '') raw.q = q.slice(0, 500)
    for (const name of LIST_PARAMS) if (url.searchParams.getAll(name).length > 0) raw[name] = url.searchParams.getAll(name)
    const cursor = url.searchParams.get('cursor')
    if (cursor !== null) raw.cursor = cursor
    const bbox = url.searchParams.get('bbox')
    if (bbox !== null) raw.bbox = bboxFromText(bbox) ?? bbox // a map cluster's area; anything else fails the schema below
    const parsed = searchQuerySchema.safeParse(raw)
    let error: string | undefined
    let result
    try {
      if (!parsed.success) throw new ValidationError(undefined, 'ungültige Filter')
      result = deps.search.search(parsed.data)
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      error = 'Die Suchanfrage ist ungültig; es werden alle Datensätze gezeigt.'
      result = deps.search.search({ limit: 20 })
    }
    return page(c, 'Katalog', 'katalog', <CatalogPage result={result} params={url.searchParams} error={error} />)
  })

  app.get('/datensatz/:publisher/:id', async c => {
    const { publisher, id } = c.req.param()
    try {
      const view = deps.regional.get(publisher, id)
      const previews = await deps.previews.of(publisher, view.publisher.kommune, view.dataset)
      const ags = agsOf(publisher)
      return await page(
        c,
        view.dataset.title,
        'katalog',
        <DatasetPage
          view={view}
          online={online(publisher)}
          fileUrl={dist => downloadPath(deps.peerId, publisher, view.dataset, dist)}
          previews={previews}
          usedIn={deps.useCases.usingDataset(publisher, id)}
          ags={ags}
          collectionUrl={dist =>
            `${deps.publicUrl ?? new URL(c.req.url).origin}/collections/${deps.collectionIdOf(publisher, view.dataset.id, dist)}`
          }
        />
      )
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      return page(
        c,
        'Nicht gefunden',
        'katalog',
        <>
          <h1>Nicht gefunden</h1>
          <p>Diesen Datensatz gibt es im regionalen Katalog nicht (mehr).</p>
        </>,
        404
      )
    }
  })

  app.get('/karte', c => page(c, 'Karte', 'karte', <MapPage items={deps.regional.exportPage({ offset: 0, limit: 2000 }).items} />))

  app.get('/region', c => {
    const states = new Map(deps.store.publisherStates().map(s => [s.peerId, s]))
    const peers = new Map((deps.region?.peers() ?? []).map(p => [p.peerId, p]))
    const participants = deps.directory?.participants() ?? []
    const proofs = new Map(deps.store.equivocatingPublishers().map(e => [e.publisher, e.proofs]))
    const rows: RegionRow[] = [
      {
        kommune: deps.kommune.name,
        ags: deps.kommune.ags,
        peerId: deps.peerId,
        self: true,
        online: true,
        entries: states.get(deps.peerId)?.maxSeq ?? 0,
        lag: 0,
        lastSync: null,
        equivocations: proofs.get(deps.peerId) ?? 0
      },
      ...participants
        .filter(p => p.peerId !== deps.peerId)
        .map(p => ({
          kommune: p.kommune,
          ags: p.ags,
          peerId: p.peerId,
          self: false,
          online: online(p.peerId),
          entries: states.get(p.peerId)?.maxSeq ?? 0,
          lag: (states.get(p.peerId)?.maxSeq ?? 0) - (states.get(p.peerId)?.contiguousSeq ?? 0),
          lastSync: peers.get(p.peerId)?.lastSyncAt ?? null,
          equivocations: proofs.get(p.peerId) ?? 0
        }))
        .sort((a, b) => a.kommune.localeCompare(b.kommune, 'de'))
    ]
    return page(
      c,
      'Region',
      'region',
      <RegionPage
        rows={rows}
        serial={deps.directory?.serial ?? null}
        lastFetch={deps.directory?.lastFetchAt ?? null}
        stale={deps.directory?.isStale() ?? false}
      />
    )
  })

  // Admin area: the token once, then a session id in an HttpOnly, SameSite=Strict cookie
  // (Secure behind https), and every form post carries the session's CSRF token
  // and, when the browser sends one, an Origin of this node.
  const sessions = new AdminSessions()
  const sessionOf = (c: Context): AdminSession | undefined => sessions.get(getCookie(c, COOKIE))
  const loggedIn = (c: Context): boolean => sessionOf(c) !== undefined
  const behindTls = (c: Context): boolean => new URL(c.req.url).protocol === 'https:' || deps.publicUrl?.startsWith('https:') === true
  const sameOrigin = (c: Context): boolean => {
    const origin = c.req.header('origin')
    // Under Referrer-Policy no-referrer browsers send "null": then the CSRF token alone decides.
    if (origin === undefined || origin === 'null') return true
    const own = [new URL(c.req.url).origin, ...(deps.publicUrl === undefined ? [] : [new URL(deps.publicUrl).origin])]
    return own.includes(origin)
  }
  const forbidden = async (c: Context): Promise<Response> =>
    page(
      c,
      'Abgelehnt',
      'verwaltung',
      <p class="fehler">
        Diese Anfrage kam nicht aus dem Verwaltungsformular dieses Knotens (Herkunft oder Formular-Token passen nicht). Bitte die Seite neu
        laden und erneut senden.
      </p>,
      403
    )
  /** A form post of a logged-in admin from this node's own form, or a refusal. */
  const checkedPost = async (c: Context, form: Record<string, unknown>): Promise<AdminSession | Response> => {
    const session = sessionOf(c)
    if (session === undefined) return c.redirect('/verwaltung', 303)
    if (!sameOrigin(c) || !csrfMatches(session, form.csrf)) return await forbidden(c)
    return session
  }
  app.get('/verwaltung', c => {
    const session = sessionOf(c)
    return session !== undefined
      ? page(c, 'Verwaltung', 'verwaltung', <DashboardPage datasets={deps.catalog.listOwn(500).items} csrf={session.csrf} />)
      : page(c, 'Anmelden', 'verwaltung', <LoginPage />)
  })
  app.post('/verwaltung/anmelden', async c => {
    if (!sameOrigin(c)) return forbidden(c)
    const who = clientAddress(c)
    const sent = (await c.req.parseBody()).token
    const token = typeof sent === 'string' ? sent : ''
    // The right token always logs in: wrong ones from the same address (a guesser behind the
    // same proxy) must not lock the administrator out; only wrong ones are refused past the limit.
    if (!isAdmin(token)) {
      const wait = deps.authFailures.blockedFor(who)
      if (wait > 0) {
        c.header('Retry-After', String(wait))
        return page(
          c,
          'Anmelden',
          'verwaltung',
          <>
            <LoginPage />
            <p class="fehler">Zu viele falsche Anmeldungen von dieser Adresse. Bitte in {wait} Sekunden erneut versuchen.</p>
          </>,
          429
        )
      }
      deps.authFailures.failed(who)
      return page(c, 'Anmelden', 'verwaltung', <LoginPage failed />, 400)
    }
    setCookie(c, COOKIE, sessions.create().id, { httpOnly: true, sameSite: 'Strict', path: '/verwaltung', secure: behindTls(c) })
    return c.redirect('/verwaltung', 303)
  })
  app.post('/verwaltung/abmelden', async c => {
    const checked = await checkedPost(c, await c.req.parseBody())
    if (checked instanceof Response) return checked
    sessions.destroy(checked.id)
    deleteCookie(c, COOKIE, { path: '/verwaltung' })
    return c.redirect('/verwaltung', 303)
  })
  const requireLogin: MiddlewareHandler<BlankEnv> = async (c, next) => (loggedIn(c) ? next() : c.redirect('/verwaltung', 303))
  app.use('/verwaltung/neu', requireLogin)
  app.use('/verwaltung/bearbeiten/*', requireLogin)
  useCaseWebRoutes(app, {
    useCases: deps.useCases,
    self: { peerId: deps.peerId, name: deps.kommune.name },
    agsOf,
    page,
    sessionOf,
    checkedPost,
    requireLogin
  })
  app.get('/verwaltung/neu', c =>
    page(c, 'Veröffentlichen', 'verwaltung', <DatasetForm values={{}} errors={[]} csrf={sessionOf(c)!.csrf} />)
  )
  app.get('/verwaltung/bearbeiten/:id', c => {
    const view = deps.catalog.getOwn(c.req.param('id'))
    return page(
      c,
      'Bearbeiten',
      'verwaltung',
      <DatasetForm values={valuesOf(view.dataset)} errors={[]} editing={view.dataset.id} csrf={sessionOf(c)!.csrf} />
    )
  })
  const formLimit = bodyLimit({
    maxSize: deps.maxUploadBytes,
    onError: c =>
      page(
        c,
        'Zu groß',
        'verwaltung',
        <p class="fehler">Die Datei ist zu groß für dieses Formular (höchstens {deps.maxUploadBytes} Bytes).</p>,
        413
      )
  })
  app.post('/verwaltung/neu', formLimit, async c => submit(c, undefined))
  app.post('/verwaltung/bearbeiten/:id', formLimit, async c => submit(c, c.req.param('id')))

  async function submit(c: Context, editing: string | undefined): Promise<Response> {
    const form = await c.req.parseBody({ all: true })
    const checked = await checkedPost(c, form)
    if (checked instanceof Response) return checked
    const str = (k: string): string => {
      const v = form[k]
      return typeof v === 'string' ? v.trim() : ''
    }
    const values: FormValues = {
      id: str('id'),
      title: str('title'),
      description: str('description'),
      license: str('license'),
      themes: ([] as unknown[]).concat(form.themes ?? []).filter((t): t is string => typeof t === 'string'),
      keywords: str('keywords'),
      ags: str('ags'),
      bbox: str('bbox'),
      format: str('format')
    }
    const chosen = form.file instanceof File && form.file.name !== '' ? form.file : undefined
    // The dataset and its file are one entry: everything is checked before the file is stored, and nothing is signed
    // unless both are accepted — a refused file leaves no dataset behind, and the form can be sent again.
    const upload: FileUpload | undefined =
      chosen === undefined
        ? undefined
        : {
            body: chosen.stream(),
            fileName: chosen.name,
            size: chosen.size,
            mediaType: chosen.type === '' ? undefined : chosen.type,
            format: values.format === '' ? undefined : values.format?.toUpperCase(),
            maxBytes: deps.maxUploadBytes
          }
    try {
      const input = toMetadata(values)
      let id: string
      if (editing === undefined) {
        id = (await deps.catalog.create(input, upload)).dataset!.id
      } else {
        const current = deps.catalog.getOwn(editing).dataset
        // A form edit is a modification: `modified` is set anew.
        const { distributions: _keep, modified: _now, ...rest } = { ...current, ...input, id: editing }
        id = (await deps.catalog.update(editing, rest, upload)).dataset!.id
      }
      return c.redirect(`/datensatz/${deps.peerId}/${id}`, 303)
    } catch (err) {
      // Every problem at once, each next to its field.
      const problems =
        err instanceof ValidationError
          ? err.problems.map(p => germanError(p.field, p.message))
          : err instanceof ConflictError
            ? [{ field: 'id', text: 'Kennung: ein Datensatz mit dieser Kennung existiert bereits.' }]
            : err instanceof UploadTooLargeError
              ? [{ field: 'file', text: `Datei: zu groß (höchstens ${deps.maxUploadBytes} Bytes).` }]
              : undefined
      if (problems === undefined) throw err
      return page(
        c,
        'Bitte prüfen',
        'verwaltung',
        <DatasetForm values={values} errors={problems} editing={editing} csrf={checked.csrf} />,
        400
      )
    }
  }
  return app
}

/** Form values → dataset input; the catalog service validates the rest. */
function toMetadata(v: FormValues): Record<string, unknown> {
  const spatial: Record<string, unknown> = {}
  if (v.ags !== undefined && v.ags !== '') spatial.ags = v.ags
  if (v.bbox !== undefined && v.bbox !== '') {
    const parts = v.bbox.split(',').map(s => (s.trim() === '' ? NaN : Number(s.trim())))
    // Not four numbers: passed on as text, so the schema reports it together with every other problem.
    spatial.bbox = parts.length === 4 && parts.every(n => Number.isFinite(n)) ? parts : v.bbox
  }
  return {
    ...(v.id === undefined || v.id === '' ? {} : { id: v.id }),
    title: v.title,
    description: v.description,
    ...(v.license === undefined || v.license === '' ? {} : { license: v.license }),
    themes: v.themes ?? [],
    keywords: (v.keywords ?? '')
      .split(',')
      .map(k => k.trim())
      .filter(k => k !== ''),
    ...(Object.keys(spatial).length === 0 ? {} : { spatial })
  } satisfies Partial<Record<keyof DatasetMetadata, unknown>>
}
