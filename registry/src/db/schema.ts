import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { RetiredKey } from '../../../protocol/src/index.js'

// The registry's tables: who belongs, and the signed list it hands out.

export const participants = sqliteTable('participants', {
  /** The Kommune's AGS: one participant per Kommune. */
  id: text('id').primaryKey(),
  kommune: text('kommune').notNull(),
  ags: text('ags').notNull(),
  peerId: text('peer_id').notNull(),
  publicKeyJwk: text('public_key_jwk', { mode: 'json' }).notNull(),
  addresses: text('addresses', { mode: 'json' }).$type<string[]>().notNull(),
  status: text('status', { enum: ['pending', 'active', 'revoked'] }).notNull(),
  /** Keys rotated away from whose entries are still valid (until the Kommune has re-published). */
  retiredKeys: text('retired_keys', { mode: 'json' }).$type<RetiredKey[]>().notNull().default([]),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull()
}, t => [uniqueIndex('participants_peer_id').on(t.peerId)])

/** The current signed participant list (one row) and its serial. */
export const signedList = sqliteTable('signed_list', {
  id: text('id').primaryKey(),
  serial: integer('serial').notNull(),
  jws: text('jws').notNull()
})

export type ParticipantRow = typeof participants.$inferSelect
