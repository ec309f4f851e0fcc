import { Hono } from 'hono'

export function healthRoutes(): Hono {
  return new Hono().get('/health', c => c.json({ status: 'ok' }))
}
