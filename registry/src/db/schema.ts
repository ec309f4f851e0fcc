import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

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
