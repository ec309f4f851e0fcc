import type { Context } from 'hono'

/** The TCP peer address of the request (no proxy headers: they are the client's to forge). */
export function clientAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
  return incoming?.socket?.remoteAddress ?? 'unknown'
}
