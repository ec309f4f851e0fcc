import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.js'

export type NodeDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url))

/** Opens (creating if needed) the node database and applies pending migrations. */
export function openDatabase(file: string): NodeDb {
  mkdirSync(dirname(file), { recursive: true })
  const sqlite = new Database(file)
  sqlite.pragma('journal_mode = WAL')
  // FULL, not NORMAL: a signed entry lost to a power cut after it was sent
  // out would make the node reuse its sequence number (equivocation).
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = drizzle(sqlite, { schema })
  migrate(db, { migrationsFolder: MIGRATIONS })
  return db
}

/** Closes the database file (start-up failures and stop). */
export function closeDatabase(db: NodeDb): void {
  db.$client.close()
}
