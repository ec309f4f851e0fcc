import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'
import type { RetiredKey } from '@swf/protocol'

// The registry's tables: who belongs, and the signed list it hands out.

export const participants = sqliteTable(
  'participants',
  {
    /**
     * The Kommune's AGS while it is active (one active participant per
     * Kommune); the peer id while pending or revoked, so a registration never
     * reserves an AGS before the operator approves it.
     */
    id: text('id').primaryKey(),
    kommune: text('kommune').notNull(),
    ags: text('ags').notNull(),
    peerId: text('peer_id').notNull(),
    publicKeyJwk: text('public_key_jwk', { mode: 'json' }).notNull(),
    addresses: text('addresses', { mode: 'json' }).$type<string[]>().notNull(),
    status: text('status', { enum: ['pending', 'active', 'revoked'] }).notNull(),
    /** Keys rotated away from whose entries are still valid (until the Kommune has re-published). */
    retiredKeys: text('retired_keys', { mode: 'json' }).$type<RetiredKey[]>().notNull().default([]),
    /** A rename or address change an active participant asked for; applied when the operator approves it. */
    pendingChange: text('pending_change', { mode: 'json' }).$type<PendingChange>(),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull()
  },
  t => [uniqueIndex('participants_peer_id').on(t.peerId)]
)

/** The current signed participant list (one row) and its serial. */
export const signedList = sqliteTable('signed_list', {
  id: text('id').primaryKey(),
  serial: integer('serial').notNull(),
  jws: text('jws').notNull()
})

export interface PendingChange {
  kommune: string
  addresses: string[]
  requestedAt: string
}

export type ParticipantRow = typeof participants.$inferSelect
