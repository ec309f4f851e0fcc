import type { MiddlewareHandler } from 'hono'

const READ = new Set(['GET', 'HEAD'])

/**
 * CORS for reading only: any web page may GET the catalog, search and files
 * (open data), but no browser script on another origin may write — writes get
 * no CORS headers, and preflights for them are answered without permission.
 */
export function readOnlyCors(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS' && c.req.header('origin') !== undefined && c.req.header('access-control-request-method') !== undefined) {
      const wanted = c.req.header('access-control-request-method')!.toUpperCase()
      if (!READ.has(wanted)) return c.body(null, 204)
      return c.body(null, 204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Allow-Headers': 'Accept, Range, If-None-Match, Content-Type',
        'Access-Control-Max-Age': '86400'
      })
    }
    await next()
    if (READ.has(c.req.method)) {
      c.res.headers.set('Access-Control-Allow-Origin', '*')
      c.res.headers.set('Access-Control-Expose-Headers', 'ETag, Content-Range, Accept-Ranges, Content-Length')
    }
  }
}
