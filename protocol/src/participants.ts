import { z } from 'zod'
import { decodeCanonicalJws, verifyJwsSignature, importPublicJwk, type JoseKey } from './canonical-jws.js'
import { InvalidEntryError } from './errors.js'
import { agsSchema, peerIdSchema } from './identifiers.js'
import { publicJwkOfPeerId, type Ed25519PublicJwk } from './identity.js'

// The registry says who belongs. Two signed documents:
// - a registration, signed by the joining node's own key (proof of possession);
// - the participant list, signed by the registry key that nodes pin.

export const REGISTRATION_TYP = 'swf-registration+jws'
export const PARTICIPANT_LIST_TYP = 'swf-participants+jws'
export const MAX_REGISTRATION_BYTES = 16 * 1024
export const MAX_PARTICIPANT_LIST_BYTES = 4 * 1024 * 1024
/** A registration older or newer than this is refused (replay window). */
export const REGISTRATION_MAX_SKEW_MS = 10 * 60 * 1000

export const publicJwkSchema = z.strictObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: '32-byte key, base64url' }),
  kid: z.string().optional()
})

export const multiaddrStringSchema = z.string().min(3).max(300).regex(/^\//, { message: 'a multiaddr, e.g. /ip4/192.0.2.1/tcp/4001' })

export const registrationSchema = z.strictObject({
  v: z.literal(1),
  kommune: z.string().trim().min(1).max(200),
  ags: agsSchema,
  peerId: peerIdSchema,
  addresses: z.array(multiaddrStringSchema).max(20),
  issuedAt: z.iso.datetime()
})
export type Registration = z.infer<typeof registrationSchema>

export const participantStatusSchema = z.enum(['pending', 'active', 'revoked'])
export type ParticipantStatus = z.infer<typeof participantStatusSchema>

export const participantSchema = z.strictObject({
  id: z.string().min(1).max(100),
  kommune: z.string().min(1).max(200),
  ags: agsSchema,
  peerId: peerIdSchema,
  publicKeyJwk: publicJwkSchema,
  addresses: z.array(multiaddrStringSchema).max(20),
  status: participantStatusSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime()
})
export type Participant = z.infer<typeof participantSchema>

export const participantListSchema = z.strictObject({
  v: z.literal(1),
  /** Peer id of the registry key that signed the list. */
  registry: peerIdSchema,
  /** Grows with every change; nodes never go back to a lower serial. */
  serial: z.number().int().min(1),
  issuedAt: z.iso.datetime(),
  /** Active participants only: whoever is not listed does not belong. */
  participants: z.array(participantSchema).max(10_000)
})
export type ParticipantList = z.infer<typeof participantListSchema>

function parseOrThrow<S extends z.ZodType> (schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new InvalidEntryError('malformed', `${what} ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
  }
  return r.data
}

/** Verifies a registration against the key embedded in its peer id. */
export async function verifyRegistration (jws: string, now = Date.now()): Promise<Registration> {
  const { kid, payload } = decodeCanonicalJws(jws, REGISTRATION_TYP, MAX_REGISTRATION_BYTES)
  const reg = parseOrThrow(registrationSchema, payload, 'registration')
  if (kid !== reg.peerId) throw new InvalidEntryError('publisher-mismatch', 'kid is not the registering peer id')
  await verifyJwsSignature(jws, await importPublicJwk(publicJwkOfPeerId(reg.peerId)))
  if (Math.abs(now - Date.parse(reg.issuedAt)) > REGISTRATION_MAX_SKEW_MS) {
    throw new InvalidEntryError('malformed', 'registration issuedAt is more than 10 minutes off; check the clock')
  }
  return reg
}

/** Verifies a participant list against the pinned registry key. */
export async function verifyParticipantList (jws: string, registryKey: Ed25519PublicJwk | JoseKey, registryPeerId: string): Promise<ParticipantList> {
  const { kid, payload } = decodeCanonicalJws(jws, PARTICIPANT_LIST_TYP, MAX_PARTICIPANT_LIST_BYTES)
  if (kid !== registryPeerId) throw new InvalidEntryError('publisher-mismatch', 'list is not signed by the pinned registry key')
  const key = 'kty' in registryKey ? await importPublicJwk(registryKey) : registryKey
  await verifyJwsSignature(jws, key)
  const list = parseOrThrow(participantListSchema, payload, 'participant list')
  if (list.registry !== registryPeerId) throw new InvalidEntryError('publisher-mismatch', 'list names another registry')
  return list
}
