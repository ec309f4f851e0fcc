import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'
import { openApiDocument } from '../openapi.js'

const SWAGGER_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8'
}
const INIT = "window.onload = () => { window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true }) }\n"
const PAGE = `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>API · Datenraum Südwestfalen</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script><script src="/api/docs/init.js"></script></body></html>`

/** /openapi.json and a rendered reference at /api/docs, all assets served by the node itself. */
export function docsRoutes(): Hono {
  const doc = JSON.stringify(openApiDocument())
  return new Hono()
    .get('/openapi.json', c => c.body(doc, 200, { 'Content-Type': 'application/json' }))
    .get('/api/docs', c => c.html(PAGE))
    .get('/api/docs/:file', async c => {
      const file = c.req.param('file')
      if (file === 'init.js') return c.body(INIT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' })
      const type = ASSETS[file]
      if (type === undefined) return c.json({ error: { code: 'not_found', message: `no asset ${file}` } }, 404)
      return c.body(await readFile(join(SWAGGER_DIR, file)), 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=86400' })
    })
}
