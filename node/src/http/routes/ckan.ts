import { Hono, type Context } from 'hono'
import { CkanError, type CkanApi } from '../../ckan/ckan-api.js'
import { VERSION } from '../../version.js'

type Action = (c: Context) => unknown

/** /api/3/action/* — CKAN 2.10's {help, success, result} envelope around CkanApi. */
export function ckanRoutes ({ ckanFor, siteTitle, publicUrl }: { ckanFor: (baseUrl: string) => CkanApi, siteTitle: string, publicUrl?: string }): Hono {
  const base = (c: Context): string => publicUrl ?? new URL(c.req.url).origin
  const ckan = { get: (c: Context) => ckanFor(base(c)) }
  const actions: Record<string, Action> = {
    package_search: c => ckan.get(c).packageSearch(c.req.query()),
    package_show: c => ckan.get(c).packageShow(c.req.query('id')),
    package_list: c => ckan.get(c).packageList(c.req.query('limit'), c.req.query('offset')),
    organization_list: c => ckan.get(c).organizationList(['true', 'True', '1'].includes(c.req.query('all_fields') ?? '')),
    organization_show: c => ckan.get(c).organizationShow(c.req.query('id')),
    status_show: c => ({
      site_title: siteTitle,
      site_description: 'Knoten im Datenraum Südwestfalen (CKAN-kompatible Lese-API)',
      site_url: base(c),
      ckan_version: '2.10.4',
      error_emails_to: null,
      locale_default: 'de',
      extensions: ['dcat', 'swf-dataspace'],
      swf_version: VERSION
    })
  }
  return new Hono().get('/api/3/action/:action', c => {
    const name = c.req.param('action')
    const help = `${new URL(c.req.url).origin}/api/3/action/help_show?name=${name}`
    const action = actions[name]
    if (action === undefined) {
      return c.json({ help, success: false, error: { __type: 'Not Found Error', message: `Action name not known: ${name}` } }, 400)
    }
    try {
      return c.json({ help, success: true, result: action(c) })
    } catch (err) {
      if (!(err instanceof CkanError)) throw err
      const error = err.type === 'Validation Error'
        ? { __type: err.type, ...(err.field === undefined ? { message: err.message } : { [err.field]: [err.message] }) }
        : { __type: err.type, message: err.message }
      return c.json({ help, success: false, error }, err.status)
    }
  })
}
