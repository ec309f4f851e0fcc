import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { CkanApi } from '../../ckan/ckan-api.js'
import { CkanError } from '../../ckan/ckan-error.js'
import { VERSION } from '../../version.js'

type Params = Record<string, string>
type Action = (ckan: CkanApi, p: Params, base: string) => unknown

/** An action call's parameters are small; CKAN's own API takes no large bodies either. */
export const MAX_CKAN_BODY_BYTES = 64 * 1024

const yes = (v: string | undefined): boolean => ['true', 'True', '1'].includes(v ?? '')

/**
 * CKAN 2.10's action API around CkanApi: GET with query parameters and POST
 * with a JSON or form body (ckanapi's default), under /api/3/action/ and
 * /api/action/, in CKAN's {help, success, result} envelope.
 */
export function ckanRoutes({ ckan, siteTitle, publicUrl }: { ckan: CkanApi; siteTitle: string; publicUrl?: string }): Hono {
  const baseOf = (c: Context): string => publicUrl ?? new URL(c.req.url).origin
  const actions: Record<string, Action> = {
    package_search: (ckan, p, base) => ckan.packageSearch(p, base),
    package_show: (ckan, p, base) => ckan.packageShow(p.id, base),
    package_list: (ckan, p) => ckan.packageList(p.limit, p.offset),
    organization_list: (ckan, p) => ckan.organizationList(yes(p.all_fields)),
    organization_show: (ckan, p) => ckan.organizationShow(p.id),
    group_list: (ckan, p) => ckan.groupList(yes(p.all_fields)),
    group_show: (ckan, p) => ckan.groupShow(p.id),
    tag_list: (ckan, p) => ckan.tagList(p.query, yes(p.all_fields)),
    license_list: ckan => ckan.licenseList(),
    // ckanext-showcase: use cases as showcases.
    ckanext_showcase_list: (ckan, _p, base) => ckan.showcaseList(base),
    ckanext_showcase_show: (ckan, p, base) => ckan.showcaseShow(p.id, base),
    ckanext_showcase_package_list: (ckan, p, base) => ckan.showcasePackageList(p.showcase_id, base),
    ckanext_package_showcase_list: (ckan, p, base) => ckan.packageShowcaseList(p.package_id, base),
    status_show: (_ckan, _p, base) => ({
      site_title: siteTitle,
      site_description: 'Knoten im Datenraum Südwestfalen (CKAN-kompatible Lese-API)',
      site_url: base,
      ckan_version: '2.10.4',
      error_emails_to: null,
      locale_default: 'de',
      extensions: ['dcat', 'swf-dataspace'],
      swf_version: VERSION
    })
  }

  const answer = async (c: Context): Promise<Response> => {
    const name = c.req.param('action') ?? ''
    const help = `${new URL(c.req.url).origin}/api/3/action/help_show?name=${name}`
    const fail = (status: 400 | 404 | 409, error: Record<string, unknown>): Response => c.json({ help, success: false, error }, status)
    const action = actions[name]
    if (action === undefined) return fail(400, { __type: 'Not Found Error', message: `Action name not known: ${name}` })
    try {
      const params = { ...c.req.query(), ...(c.req.method === 'POST' ? await bodyParams(c) : {}) }
      return c.json({ help, success: true, result: action(ckan, params, baseOf(c)) })
    } catch (err) {
      if (!(err instanceof CkanError)) throw err
      return fail(
        err.status,
        err.type === 'Validation Error' && err.field !== undefined
          ? { __type: err.type, [err.field]: [err.message] }
          : { __type: err.type, message: err.message }
      )
    }
  }

  const limit = bodyLimit({
    maxSize: MAX_CKAN_BODY_BYTES,
    onError: c =>
      c.json({ success: false, error: { __type: 'Validation Error', message: `request body over ${MAX_CKAN_BODY_BYTES} bytes` } }, 413)
  })
  return new Hono().on(['GET', 'POST'], '/api/3/action/:action', limit, answer).on(['GET', 'POST'], '/api/action/:action', limit, answer)
}

/** A POST body as string parameters: JSON (ckanapi) or a form; lists (facet.field) as JSON text, as in a query string. */
async function bodyParams(c: Context): Promise<Params> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') {
    const form = await c.req.parseBody()
    return Object.fromEntries(Object.entries(form).filter((e): e is [string, string] => typeof e[1] === 'string'))
  }
  const text = await c.req.text()
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (err) {
    throw new CkanError(400, 'Validation Error', `request body is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new CkanError(400, 'Validation Error', 'request body must be a JSON object')
  const out: Params = {}
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined) continue
    if (typeof v === 'string') out[k] = v
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v)
    else if (Array.isArray(v) && v.every(x => typeof x === 'string')) out[k] = JSON.stringify(v)
    else throw new CkanError(409, 'Validation Error', `${k} must be a string, number, boolean or list of strings`, k)
  }
  return out
}
