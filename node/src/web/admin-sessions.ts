import { randomBytes, timingSafeEqual } from 'node:crypto'

/** An admin's login: the cookie carries `id`, never the admin token itself; forms carry `csrf`. */
export interface AdminSession {
  id: string
  csrf: string
  lastSeen: number
}

/** Idle time after which a login ends. */
export const SESSION_IDLE_MS = 8 * 3_600_000
/** Logins held at once; the oldest goes first. */
export const MAX_SESSIONS = 100

/**
 * Admin sessions of the web UI, in memory (a restart logs everyone out).
 * The cookie once held the raw admin token; a stolen cookie now ends with
 * the session, and every form post must carry the session's CSRF token.
 */
export class AdminSessions {
  readonly #sessions = new Map<string, AdminSession>()

  create(now = Date.now()): AdminSession {
    const session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), lastSeen: now }
    this.#sessions.set(session.id, session)
    for (const [id] of this.#sessions) {
      if (this.#sessions.size <= MAX_SESSIONS) break
      this.#sessions.delete(id)
    }
    return session
  }

  /** The live session of this cookie value, refreshed; undefined when unknown or idle too long. */
  get(id: string | undefined, now = Date.now()): AdminSession | undefined {
    if (id === undefined) return undefined
    const s = this.#sessions.get(id)
    if (s === undefined) return undefined
    if (now - s.lastSeen > SESSION_IDLE_MS) {
      this.#sessions.delete(id)
      return undefined
    }
    s.lastSeen = now
    return s
  }

  destroy(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(id)
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: AdminSession, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false
  const a = Buffer.from(session.csrf)
  const b = Buffer.from(submitted)
  return a.length === b.length && timingSafeEqual(a, b)
}
