import { z } from 'zod'
import { decodeCanonicalJws, verifyJwsSignature, importPublicJwk, type JoseKey } from './canonical-jws.js'
import { InvalidEntryError } from './errors.js'
import { agsSchema, peerIdSchema } from './identifiers.js'
import { peerIdOfPublicJwk, publicJwkOfPeerId, type Ed25519PublicJwk } from './identity.js'

// The registry says who belongs. Signed documents:
// - a registration, signed by the joining node's own key (proof of possession);
// - the participant list, signed by the registry key that nodes pin;
// - a key rotation, signed by a participant's current key, naming its next one;
// - a key retirement, signed by the new key once the Kommune has re-published.

export const REGISTRATION_TYP = 'swf-registration+jws'
export const PARTICIPANT_LIST_TYP = 'swf-participants+jws'
export const KEY_ROTATION_TYP = 'swf-key-rotation+jws'
export const KEY_RETIREMENT_TYP = 'swf-key-retirement+jws'
export const REGISTRY_HANDOVER_TYP = 'swf-registry-handover+jws'
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

/** A participant's former key: its entries stay valid until the Kommune has re-published. */
export const retiredKeySchema = z.strictObject({
  peerId: peerIdSchema,
  publicKeyJwk: publicJwkSchema,
  retiredAt: z.iso.datetime()
})
export type RetiredKey = z.infer<typeof retiredKeySchema>

export const participantSchema = z.strictObject({
  id: z.string().min(1).max(100),
  kommune: z.string().min(1).max(200),
  ags: agsSchema,
  peerId: peerIdSchema,
  publicKeyJwk: publicJwkSchema,
  addresses: z.array(multiaddrStringSchema).max(20),
  status: participantStatusSchema,
  /** Keys rotated away from; connections use only `peerId`. Absent in lists before rotation existed. */
  retiredKeys: z.array(retiredKeySchema).max(10).optional(),
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

export const keyRotationSchema = z.strictObject({
  v: z.literal(1),
  ags: agsSchema,
  oldPeerId: peerIdSchema,
  newPeerId: peerIdSchema,
  issuedAt: z.iso.datetime()
})
export type KeyRotation = z.infer<typeof keyRotationSchema>

export const keyRetirementSchema = z.strictObject({
  v: z.literal(1),
  ags: agsSchema,
  /** The current key, which signs this document. */
  peerId: peerIdSchema,
  /** Former keys whose entries the Kommune has replaced. */
  retire: z.array(peerIdSchema).min(1).max(10),
  issuedAt: z.iso.datetime()
})
export type KeyRetirement = z.infer<typeof keyRetirementSchema>

/** The registry moves to a new key: signed by the old one, which nodes have pinned. */
export const registryHandoverSchema = z.strictObject({
  v: z.literal(1),
  oldRegistry: peerIdSchema,
  newRegistry: peerIdSchema,
  newPublicKeyJwk: publicJwkSchema,
  issuedAt: z.iso.datetime()
})
export type RegistryHandover = z.infer<typeof registryHandoverSchema>

function parseOrThrow<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new InvalidEntryError('malformed', `${what} ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
  }
  return r.data
}

/**
 * Verifies a document a participant signs itself (registration, key rotation,
 * key retirement): canonical form, schema, signed by the key of the peer id
 * `signerOf` names, issued within the replay window.
 */
async function verifySelfSigned<S extends z.ZodType<{ issuedAt: string }>>(
  jws: string,
  typ: string,
  schema: S,
  signerOf: (doc: z.infer<S>) => string,
  what: string,
  now: number
): Promise<z.infer<S>> {
  const { kid, payload } = decodeCanonicalJws(jws, typ, MAX_REGISTRATION_BYTES)
  const doc = parseOrThrow(schema, payload, what)
  const signer = signerOf(doc)
  if (kid !== signer) throw new InvalidEntryError('publisher-mismatch', `${what} is not signed by ${signer}`)
  await verifyJwsSignature(jws, await importPublicJwk(publicJwkOfPeerId(signer)))
  if (Math.abs(now - Date.parse(doc.issuedAt)) > REGISTRATION_MAX_SKEW_MS) {
    throw new InvalidEntryError('malformed', `${what} issuedAt is more than 10 minutes off; check the clock`)
  }
  return doc
}

/** Verifies a registration against the key embedded in its peer id. */
export async function verifyRegistration(jws: string, now = Date.now()): Promise<Registration> {
  return verifySelfSigned(jws, REGISTRATION_TYP, registrationSchema, r => r.peerId, 'registration', now)
}

/** Verifies a key rotation: signed by the old key, which hands over to the new one. */
export async function verifyKeyRotation(jws: string, now = Date.now()): Promise<KeyRotation> {
  const doc = await verifySelfSigned(jws, KEY_ROTATION_TYP, keyRotationSchema, r => r.oldPeerId, 'key rotation', now)
  if (doc.oldPeerId === doc.newPeerId) throw new InvalidEntryError('malformed', 'key rotation to the same key')
  return doc
}

/** Verifies a key retirement: signed by the participant's current key. */
export async function verifyKeyRetirement(jws: string, now = Date.now()): Promise<KeyRetirement> {
  return verifySelfSigned(jws, KEY_RETIREMENT_TYP, keyRetirementSchema, r => r.peerId, 'key retirement', now)
}

/** Verifies a participant list against the pinned registry key. */
export async function verifyParticipantList(
  jws: string,
  registryKey: Ed25519PublicJwk | JoseKey,
  registryPeerId: string
): Promise<ParticipantList> {
  const { kid, payload } = decodeCanonicalJws(jws, PARTICIPANT_LIST_TYP, MAX_PARTICIPANT_LIST_BYTES)
  if (kid !== registryPeerId) throw new InvalidEntryError('publisher-mismatch', 'list is not signed by the pinned registry key')
  const key = 'kty' in registryKey ? await importPublicJwk(registryKey) : registryKey
  await verifyJwsSignature(jws, key)
  const list = parseOrThrow(participantListSchema, payload, 'participant list')
  if (list.registry !== registryPeerId) throw new InvalidEntryError('publisher-mismatch', 'list names another registry')
  return list
}

/** Verifies a registry key hand-over against the key a node has pinned now. */
export async function verifyRegistryHandover(jws: string, pinned: Ed25519PublicJwk): Promise<RegistryHandover> {
  const pinnedPeerId = peerIdOfPublicJwk(pinned)
  const { kid, payload } = decodeCanonicalJws(jws, REGISTRY_HANDOVER_TYP, MAX_REGISTRATION_BYTES)
  if (kid !== pinnedPeerId) throw new InvalidEntryError('publisher-mismatch', 'hand-over is not signed by the pinned registry key')
  await verifyJwsSignature(jws, await importPublicJwk(pinned))
  const doc = parseOrThrow(registryHandoverSchema, payload, 'registry hand-over')
  if (doc.oldRegistry !== pinnedPeerId) throw new InvalidEntryError('publisher-mismatch', 'hand-over names another old registry key')
  if (peerIdOfPublicJwk(doc.newPublicKeyJwk) !== doc.newRegistry)
    throw new InvalidEntryError('publisher-mismatch', 'hand-over key and peer id differ')
  return doc
}
