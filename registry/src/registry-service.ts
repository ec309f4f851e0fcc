import { eq, or } from 'drizzle-orm'
import {
  InvalidEntryError, PARTICIPANT_LIST_TYP, jwsKeyId, publicJwkOfPeerId, verifyKeyRetirement, verifyKeyRotation, verifyRegistration,
  type EntrySigner, type Participant, type ParticipantList
} from '../../protocol/src/index.js'
import type { RegistryDb } from './db/open.js'
import { participants, signedList, type ParticipantRow } from './db/schema.js'
import { RegistryError } from './errors.js'

export interface SignedParticipantList {
  jws: string
  serial: number
}

/**
 * Who belongs. Stores participants and re-signs the list of active ones,
 * with a new serial, whenever that list changes.
 */
export class RegistryService {
  readonly #db: RegistryDb
  readonly #signer: EntrySigner
  #current: SignedParticipantList | undefined

  constructor (db: RegistryDb, signer: EntrySigner) {
    this.#db = db
    this.#signer = signer
    const row = db.select().from(signedList).where(eq(signedList.id, 'current')).get()
    this.#current = row === undefined ? undefined : { jws: row.jws, serial: row.serial }
  }

  get peerId (): string {
    return this.#signer.peerId
  }

  /** Registers a node from its self-signed request: new ones are pending, known ones update their addresses. */
  async register (jws: unknown): Promise<{ participant: Participant, created: boolean }> {
    if (typeof jws !== 'string') throw new RegistryError(400, 'validation_failed', 'registration must be a compact JWS string', 'registration')
    let reg
    try {
      reg = await verifyRegistration(jws)
    } catch (err) {
      if (err instanceof InvalidEntryError) throw new RegistryError(400, 'invalid_registration', err.message, 'registration')
      throw err
    }
    const now = new Date().toISOString()
    const byPeer = this.#db.select().from(participants).where(eq(participants.peerId, reg.peerId)).get()
    if (byPeer !== undefined) {
      if (byPeer.status === 'revoked') throw new RegistryError(403, 'revoked', 'this peer id has been revoked; ask the region operator')
      this.#db.update(participants).set({ addresses: reg.addresses, kommune: reg.kommune, updatedAt: now }).where(eq(participants.id, byPeer.id)).run()
      if (byPeer.status === 'active') await this.#resign()
      return { participant: this.get(byPeer.id), created: false }
    }
    const byAgs = this.#db.select().from(participants).where(eq(participants.id, reg.ags)).get()
    if (byAgs !== undefined) {
      throw new RegistryError(409, 'conflict', `AGS ${reg.ags} is registered with another key; a Kommune changes its key with swf-node rotate-key`, 'ags')
    }
    this.#db.insert(participants).values({
      id: reg.ags,
      kommune: reg.kommune,
      ags: reg.ags,
      peerId: reg.peerId,
      publicKeyJwk: publicJwkOfPeerId(reg.peerId),
      addresses: reg.addresses,
      status: 'pending',
      createdAt: now,
      updatedAt: now
    }).run()
    return { participant: this.get(reg.ags), created: true }
  }

  /**
   * A participant moves to a new key: the rotation is signed by its current
   * key, the registration by the new one. No operator step — the old key
   * vouches. The old key stays listed as retired, so its entries stay valid.
   */
  async rotate (registrationJws: unknown, rotationJws: unknown): Promise<Participant> {
    if (typeof registrationJws !== 'string') throw new RegistryError(400, 'validation_failed', 'registration must be a compact JWS string', 'registration')
    if (typeof rotationJws !== 'string') throw new RegistryError(400, 'validation_failed', 'rotation must be a compact JWS string', 'rotation')
    const reg = await verified(verifyRegistration(registrationJws), 'registration')
    const rot = await verified(verifyKeyRotation(rotationJws), 'rotation')
    if (rot.newPeerId !== reg.peerId || rot.ags !== reg.ags) throw new RegistryError(400, 'validation_failed', 'rotation and registration name different keys or AGS', 'rotation')
    const p = this.get(rot.ags)
    if (p.status !== 'active') throw new RegistryError(403, 'not_active', `participant ${p.id} is ${p.status}; only active participants rotate keys`)
    if (p.peerId !== rot.oldPeerId) throw new RegistryError(409, 'conflict', `${rot.oldPeerId} is not the current key of ${p.id}`, 'rotation')
    if (this.#db.select().from(participants).where(eq(participants.peerId, reg.peerId)).get() !== undefined) {
      throw new RegistryError(409, 'conflict', 'the new key is already registered', 'registration')
    }
    const now = new Date().toISOString()
    const retiredKeys = [...(p.retiredKeys ?? []), { peerId: p.peerId, publicKeyJwk: p.publicKeyJwk, retiredAt: now }].slice(-10)
    this.#db.update(participants).set({
      peerId: reg.peerId, publicKeyJwk: publicJwkOfPeerId(reg.peerId), addresses: reg.addresses, retiredKeys, updatedAt: now
    }).where(eq(participants.id, p.id)).run()
    await this.#resign()
    return this.get(p.id)
  }

  /** Drops retired keys once the Kommune has re-published under its current key (signed by that key). */
  async retire (retirementJws: unknown): Promise<Participant> {
    if (typeof retirementJws !== 'string') throw new RegistryError(400, 'validation_failed', 'retirement must be a compact JWS string', 'retirement')
    const doc = await verified(verifyKeyRetirement(retirementJws), 'retirement')
    const p = this.get(doc.ags)
    if (p.peerId !== doc.peerId) throw new RegistryError(409, 'conflict', `${doc.peerId} is not the current key of ${p.id}`, 'retirement')
    const retiredKeys = (p.retiredKeys ?? []).filter(k => !doc.retire.includes(k.peerId))
    if (retiredKeys.length === (p.retiredKeys ?? []).length) return p
    this.#db.update(participants).set({ retiredKeys, updatedAt: new Date().toISOString() }).where(eq(participants.id, p.id)).run()
    if (p.status === 'active') await this.#resign()
    return this.get(p.id)
  }

  async approve (idOrPeerId: string): Promise<Participant> {
    return this.#setStatus(idOrPeerId, 'active')
  }

  async revoke (idOrPeerId: string): Promise<Participant> {
    return this.#setStatus(idOrPeerId, 'revoked')
  }

  get (idOrPeerId: string): Participant {
    const row = this.#db.select().from(participants)
      .where(or(eq(participants.id, idOrPeerId), eq(participants.peerId, idOrPeerId))).get()
    if (row === undefined) throw new RegistryError(404, 'not_found', `no participant "${idOrPeerId}"`)
    return toParticipant(row)
  }

  all (): Participant[] {
    return this.#db.select().from(participants).orderBy(participants.id).all().map(toParticipant)
  }

  /** Re-signs the list if it was signed by another (the previous) key. */
  async ensureSignedByCurrentKey (): Promise<void> {
    if (this.#current !== undefined && jwsKeyId(this.#current.jws) !== this.#signer.peerId) await this.#resign()
  }

  /** The current signed list; signs the first one (serial 1) on demand. */
  async list (): Promise<SignedParticipantList> {
    if (this.#current === undefined) await this.#resign()
    return this.#current!
  }

  async #setStatus (idOrPeerId: string, status: 'active' | 'revoked'): Promise<Participant> {
    const p = this.get(idOrPeerId)
    if (p.status === status) return p
    this.#db.update(participants).set({ status, updatedAt: new Date().toISOString() }).where(eq(participants.id, p.id)).run()
    await this.#resign()
    return this.get(p.id)
  }

  async #resign (): Promise<void> {
    const serial = (this.#current?.serial ?? 0) + 1
    const payload: ParticipantList = {
      v: 1,
      registry: this.#signer.peerId,
      serial,
      issuedAt: new Date().toISOString(),
      participants: this.all().filter(p => p.status === 'active')
    }
    const jws = await this.#signer.signDocument(payload, PARTICIPANT_LIST_TYP)
    this.#db.insert(signedList).values({ id: 'current', serial, jws })
      .onConflictDoUpdate({ target: signedList.id, set: { serial, jws } }).run()
    this.#current = { jws, serial }
  }
}

function toParticipant (row: ParticipantRow): Participant {
  const { retiredKeys, ...rest } = row
  // Listed only when there are any, so lists of participants that never rotated stay as they were.
  return { ...rest, publicKeyJwk: row.publicKeyJwk as Participant['publicKeyJwk'], ...(retiredKeys.length > 0 ? { retiredKeys } : {}) }
}

async function verified<T> (p: Promise<T>, field: string): Promise<T> {
  try {
    return await p
  } catch (err) {
    if (err instanceof InvalidEntryError) throw new RegistryError(400, `invalid_${field}`, err.message, field)
    throw err
  }
}
