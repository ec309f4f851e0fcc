import { and, count, eq, lt, ne, or } from 'drizzle-orm'
import {
  InvalidEntryError,
  PARTICIPANT_LIST_TYP,
  jwsKeyId,
  publicJwkOfPeerId,
  verifyKeyRetirement,
  verifyKeyRotation,
  verifyRegistration,
  type EntrySigner,
  type Participant,
  type ParticipantList
} from '@swf/protocol'
import type { RegistryDb } from './db/open.js'
import { participants, signedList, type ParticipantRow, type PendingChange } from './db/schema.js'
import { RegistryError } from './errors.js'

export interface SignedParticipantList {
  jws: string
  serial: number
}

export interface RegistryLimits {
  /** Pending registrations expire after this long (deleted). */
  pendingTtlMs: number
  /** Pending registrations held at once; more are refused until some are approved, deleted or expire. */
  maxPending: number
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = { pendingTtlMs: 7 * 24 * 3_600_000, maxPending: 500 }

/** What the operator sees: a participant with a change it asked for, if any. */
export type ParticipantView = Participant & { pendingChange?: PendingChange }

/**
 * Who belongs. Stores participants and re-signs the list of active ones,
 * with a new serial, whenever that list changes.
 */
export class RegistryService {
  readonly #db: RegistryDb
  readonly #signer: EntrySigner
  #current: SignedParticipantList | undefined

  readonly #limits: RegistryLimits

  constructor(db: RegistryDb, signer: EntrySigner, limits: RegistryLimits = DEFAULT_REGISTRY_LIMITS) {
    this.#db = db
    this.#signer = signer
    this.#limits = limits
    const row = db.select().from(signedList).where(eq(signedList.id, 'current')).get()
    this.#current = row === undefined ? undefined : { jws: row.jws, serial: row.serial }
  }

  get peerId(): string {
    return this.#signer.peerId
  }

  /**
   * Registers a node from its self-signed request. New ones are pending and
   * reserve nothing: the AGS is taken only when the operator approves. A
   * pending one may change its name and addresses; an active one asks, and
   * the change waits for the operator (`changed: 'pending'`) — a participant
   * must not rename itself "Stadt Soest" or point the region at a port of
   * its choosing on its own.
   */
  async register(jws: unknown): Promise<{ participant: ParticipantView; created: boolean; change?: 'pending' }> {
    if (typeof jws !== 'string')
      throw new RegistryError(400, 'validation_failed', 'registration must be a compact JWS string', 'registration')
    let reg
    try {
      reg = await verifyRegistration(jws)
    } catch (err) {
      if (err instanceof InvalidEntryError) throw new RegistryError(400, 'invalid_registration', err.message, 'registration')
      throw err
    }
    this.#expirePending()
    const now = new Date().toISOString()
    const byPeer = this.#db.select().from(participants).where(eq(participants.peerId, reg.peerId)).get()
    if (byPeer !== undefined) {
      if (byPeer.status === 'revoked') throw new RegistryError(403, 'revoked', 'this peer id has been revoked; ask the region operator')
      if (byPeer.ags !== reg.ags)
        throw new RegistryError(409, 'conflict', `this key is registered for AGS ${byPeer.ags}, not ${reg.ags}`, 'ags')
      const same = byPeer.kommune === reg.kommune && JSON.stringify(byPeer.addresses) === JSON.stringify(reg.addresses)
      if (byPeer.status === 'pending') {
        if (!same)
          this.#db
            .update(participants)
            .set({ addresses: reg.addresses, kommune: reg.kommune, updatedAt: now })
            .where(eq(participants.id, byPeer.id))
            .run()
        return { participant: this.view(byPeer.id), created: false }
      }
      // Active: nothing changes without the operator.
      if (same) {
        if (byPeer.pendingChange !== null)
          this.#db.update(participants).set({ pendingChange: null }).where(eq(participants.id, byPeer.id)).run()
        return { participant: this.view(byPeer.id), created: false }
      }
      this.#db
        .update(participants)
        .set({ pendingChange: { kommune: reg.kommune, addresses: reg.addresses, requestedAt: now } })
        .where(eq(participants.id, byPeer.id))
        .run()
      return { participant: this.view(byPeer.id), created: false, change: 'pending' }
    }
    const pending = this.#db.select({ n: count() }).from(participants).where(eq(participants.status, 'pending')).get()?.n ?? 0
    if (pending >= this.#limits.maxPending) {
      throw new RegistryError(429, 'too_many_pending', `${pending} registrations await the operator already; try again later`)
    }
    this.#db
      .insert(participants)
      .values({
        id: reg.peerId,
        kommune: reg.kommune,
        ags: reg.ags,
        peerId: reg.peerId,
        publicKeyJwk: publicJwkOfPeerId(reg.peerId),
        addresses: reg.addresses,
        status: 'pending',
        createdAt: now,
        updatedAt: now
      })
      .run()
    return { participant: this.view(reg.peerId), created: true }
  }

  /** Deletes a pending or revoked registration (an active participant is revoked first). */
  delete(idOrPeerId: string): ParticipantView {
    const p = this.#row(idOrPeerId)
    if (p.status === 'active') throw new RegistryError(409, 'conflict', `${p.kommune} (${p.ags}) is active; revoke it first`)
    this.#db.delete(participants).where(eq(participants.id, p.id)).run()
    return toView(p)
  }

  /** Pending registrations older than pendingTtlMs are dropped. */
  #expirePending(now = Date.now()): void {
    const cutoff = new Date(now - this.#limits.pendingTtlMs).toISOString()
    this.#db
      .delete(participants)
      .where(and(eq(participants.status, 'pending'), lt(participants.createdAt, cutoff)))
      .run()
  }

  /**
   * A participant moves to a new key: the rotation is signed by its current
   * key, the registration by the new one. No operator step — the old key
   * vouches. The old key stays listed as retired, so its entries stay valid.
   */
  async rotate(registrationJws: unknown, rotationJws: unknown): Promise<Participant> {
    if (typeof registrationJws !== 'string')
      throw new RegistryError(400, 'validation_failed', 'registration must be a compact JWS string', 'registration')
    if (typeof rotationJws !== 'string')
      throw new RegistryError(400, 'validation_failed', 'rotation must be a compact JWS string', 'rotation')
    const reg = await verified(verifyRegistration(registrationJws), 'registration')
    const rot = await verified(verifyKeyRotation(rotationJws), 'rotation')
    if (rot.newPeerId !== reg.peerId || rot.ags !== reg.ags)
      throw new RegistryError(400, 'validation_failed', 'rotation and registration name different keys or AGS', 'rotation')
    const p = this.get(rot.ags)
    if (p.status !== 'active')
      throw new RegistryError(403, 'not_active', `participant ${p.id} is ${p.status}; only active participants rotate keys`)
    if (p.peerId !== rot.oldPeerId)
      throw new RegistryError(409, 'conflict', `${rot.oldPeerId} is not the current key of ${p.id}`, 'rotation')
    if (this.#db.select().from(participants).where(eq(participants.peerId, reg.peerId)).get() !== undefined) {
      throw new RegistryError(409, 'conflict', 'the new key is already registered', 'registration')
    }
    const now = new Date().toISOString()
    const retiredKeys = [...(p.retiredKeys ?? []), { peerId: p.peerId, publicKeyJwk: p.publicKeyJwk, retiredAt: now }].slice(-10)
    this.#db
      .update(participants)
      .set({
        peerId: reg.peerId,
        publicKeyJwk: publicJwkOfPeerId(reg.peerId),
        addresses: reg.addresses,
        retiredKeys,
        updatedAt: now
      })
      .where(eq(participants.id, p.id))
      .run()
    await this.#resign()
    return this.get(p.id)
  }

  /** Drops retired keys once the Kommune has re-published under its current key (signed by that key). */
  async retire(retirementJws: unknown): Promise<Participant> {
    if (typeof retirementJws !== 'string')
      throw new RegistryError(400, 'validation_failed', 'retirement must be a compact JWS string', 'retirement')
    const doc = await verified(verifyKeyRetirement(retirementJws), 'retirement')
    const p = this.get(doc.ags)
    if (p.peerId !== doc.peerId) throw new RegistryError(409, 'conflict', `${doc.peerId} is not the current key of ${p.id}`, 'retirement')
    const retiredKeys = (p.retiredKeys ?? []).filter(k => !doc.retire.includes(k.peerId))
    if (retiredKeys.length === (p.retiredKeys ?? []).length) return p
    this.#db.update(participants).set({ retiredKeys, updatedAt: new Date().toISOString() }).where(eq(participants.id, p.id)).run()
    if (p.status === 'active') await this.#resign()
    return this.get(p.id)
  }

  /**
   * Approves a pending (or revoked) registration (it takes its AGS, which no active
   * participant may hold), or an active participant's pending rename or
   * address change. By peer id; by AGS only when that names one registration.
   */
  async approve(idOrPeerId: string): Promise<ParticipantView> {
    const p = this.#row(idOrPeerId)
    const now = new Date().toISOString()
    if (p.status === 'active') {
      if (p.pendingChange === null) return toView(p)
      this.#db
        .update(participants)
        .set({ kommune: p.pendingChange.kommune, addresses: p.pendingChange.addresses, pendingChange: null, updatedAt: now })
        .where(eq(participants.id, p.id))
        .run()
      await this.#resign()
      return this.view(p.id)
    }
    // A revoked participant may be approved again (an operator's mistake undone), as long as its AGS is free.
    const holder = this.#db
      .select()
      .from(participants)
      .where(and(eq(participants.id, p.ags), ne(participants.peerId, p.peerId)))
      .get()
    if (holder !== undefined) {
      throw new RegistryError(
        409,
        'conflict',
        `AGS ${p.ags} belongs to ${holder.kommune} (${holder.peerId}), which is active; revoke it first`,
        'ags'
      )
    }
    this.#db.update(participants).set({ id: p.ags, status: 'active', updatedAt: now }).where(eq(participants.id, p.id)).run()
    await this.#resign()
    return this.view(p.ags)
  }

  /** Revokes a participant: it leaves the list, and its AGS is free for a new registration. */
  async revoke(idOrPeerId: string): Promise<ParticipantView> {
    const p = this.#row(idOrPeerId)
    if (p.status === 'revoked') return toView(p)
    this.#db
      .update(participants)
      .set({ id: p.peerId, status: 'revoked', pendingChange: null, updatedAt: new Date().toISOString() })
      .where(eq(participants.id, p.id))
      .run()
    if (p.status === 'active') await this.#resign()
    return this.view(p.peerId)
  }

  get(idOrPeerId: string): Participant {
    return toParticipant(this.#row(idOrPeerId))
  }

  /** The operator's view, with a pending change. */
  view(idOrPeerId: string): ParticipantView {
    return toView(this.#row(idOrPeerId))
  }

  /** By id (AGS of an active one, else peer id) or peer id; by AGS also a single pending or revoked registration. */
  #row(idOrPeerId: string): ParticipantRow {
    const row = this.#db
      .select()
      .from(participants)
      .where(or(eq(participants.id, idOrPeerId), eq(participants.peerId, idOrPeerId)))
      .get()
    if (row !== undefined) return row
    const byAgs = this.#db.select().from(participants).where(eq(participants.ags, idOrPeerId)).all()
    if (byAgs.length === 1) return byAgs[0]!
    if (byAgs.length > 1)
      throw new RegistryError(
        409,
        'ambiguous',
        `${byAgs.length} registrations name AGS ${idOrPeerId}: name one by its peer id (swf-registry list)`
      )
    throw new RegistryError(404, 'not_found', `no participant "${idOrPeerId}"`)
  }

  all(): ParticipantView[] {
    this.#expirePending()
    return this.#db.select().from(participants).orderBy(participants.id).all().map(toView)
  }

  /** Re-signs the list if it was signed by another (the previous) key. */
  async ensureSignedByCurrentKey(): Promise<void> {
    if (this.#current !== undefined && jwsKeyId(this.#current.jws) !== this.#signer.peerId) await this.#resign()
  }

  /** The current signed list; signs the first one (serial 1) on demand. */
  async list(): Promise<SignedParticipantList> {
    if (this.#current === undefined) await this.#resign()
    return this.#current!
  }

  async #resign(): Promise<void> {
    const serial = (this.#current?.serial ?? 0) + 1
    const payload: ParticipantList = {
      v: 1,
      registry: this.#signer.peerId,
      serial,
      issuedAt: new Date().toISOString(),
      participants: this.#db
        .select()
        .from(participants)
        .where(eq(participants.status, 'active'))
        .orderBy(participants.id)
        .all()
        .map(toParticipant)
    }
    const jws = await this.#signer.signDocument(payload, PARTICIPANT_LIST_TYP)
    this.#db
      .insert(signedList)
      .values({ id: 'current', serial, jws })
      .onConflictDoUpdate({ target: signedList.id, set: { serial, jws } })
      .run()
    this.#current = { jws, serial }
  }
}

function toView(row: ParticipantRow): ParticipantView {
  const { pendingChange, ...rest } = row
  return { ...toParticipant({ ...rest, pendingChange: null }), ...(pendingChange === null ? {} : { pendingChange }) }
}

/** As listed and signed: without the operator's pending changes. */
function toParticipant(row: ParticipantRow): Participant {
  const { retiredKeys, pendingChange: _, ...rest } = row
  // Listed only when there are any, so lists of participants that never rotated stay as they were.
  return { ...rest, publicKeyJwk: row.publicKeyJwk as Participant['publicKeyJwk'], ...(retiredKeys.length > 0 ? { retiredKeys } : {}) }
}

async function verified<T>(p: Promise<T>, field: string): Promise<T> {
  try {
    return await p
  } catch (err) {
    if (err instanceof InvalidEntryError) throw new RegistryError(400, `invalid_${field}`, err.message, field)
    throw err
  }
}
