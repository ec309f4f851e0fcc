import {
  EntrySigner,
  KEY_RETIREMENT_TYP,
  KEY_ROTATION_TYP,
  REGISTRATION_TYP,
  peerIdOf,
  type Ed25519PrivateKey,
  type KeyRetirement,
  type KeyRotation,
  type Registration
} from '@swf/protocol'

export class RegistrationError extends Error {
  override readonly name = 'RegistrationError'
  /** The registry's error code (e.g. `revoked`), when it answered with one. */
  constructor(
    message: string,
    readonly code?: string
  ) {
    super(message)
  }
}

export interface RegistrationAnswer {
  /** The AGS once active; the peer id while pending. */
  id: string
  ags?: string
  status: 'pending' | 'active' | 'revoked'
  peerId: string
  /** A rename or address change of an active participant, waiting for the operator. */
  pendingChange?: { kommune: string; addresses: string[]; requestedAt: string }
}

/**
 * Sends this node's self-signed registration (proof of possession of its
 * key) to the registry. New nodes become pending; known ones update their
 * addresses.
 */
export async function registerWithRegistry(
  registryUrl: string,
  key: Ed25519PrivateKey,
  who: { kommune: string; ags: string },
  addresses: string[]
): Promise<RegistrationAnswer> {
  const registration = await signRegistration(key, who, addresses)
  return postToRegistry(registryUrl, '/participants', { registration }, 'registration')
}

/**
 * Moves this Kommune to a new key: the rotation is signed by the old key
 * (it vouches for the new one), the registration by the new key.
 */
export async function rotateAtRegistry(
  registryUrl: string,
  oldKey: Ed25519PrivateKey,
  newKey: Ed25519PrivateKey,
  who: { kommune: string; ags: string },
  addresses: string[]
): Promise<RegistrationAnswer> {
  const registration = await signRegistration(newKey, who, addresses)
  const rotation: KeyRotation = {
    v: 1,
    ags: who.ags,
    oldPeerId: peerIdOf(oldKey),
    newPeerId: peerIdOf(newKey),
    issuedAt: new Date().toISOString()
  }
  return postToRegistry(
    registryUrl,
    '/participants/rotate',
    { registration, rotation: await (await EntrySigner.create(oldKey)).signDocument(rotation, KEY_ROTATION_TYP) },
    'key rotation'
  )
}

/** Tells the registry that the entries of `retire` (former keys) have been re-published under `key`. */
export async function retireAtRegistry(
  registryUrl: string,
  key: Ed25519PrivateKey,
  ags: string,
  retire: string[]
): Promise<RegistrationAnswer> {
  const doc: KeyRetirement = { v: 1, ags, peerId: peerIdOf(key), retire, issuedAt: new Date().toISOString() }
  return postToRegistry(
    registryUrl,
    '/participants/retire',
    { retirement: await (await EntrySigner.create(key)).signDocument(doc, KEY_RETIREMENT_TYP) },
    'key retirement'
  )
}

async function signRegistration(key: Ed25519PrivateKey, who: { kommune: string; ags: string }, addresses: string[]): Promise<string> {
  const signer = await EntrySigner.create(key)
  const reg: Registration = {
    v: 1,
    kommune: who.kommune,
    ags: who.ags,
    peerId: signer.peerId,
    addresses,
    issuedAt: new Date().toISOString()
  }
  return signer.signDocument(reg, REGISTRATION_TYP)
}

async function postToRegistry(registryUrl: string, path: string, body: unknown, what: string): Promise<RegistrationAnswer> {
  let res: Response
  try {
    res = await fetch(`${registryUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000)
    })
  } catch (err) {
    throw new RegistrationError(`registry at ${registryUrl} not reachable: ${(err as Error).message}`)
  }
  const answer = (await res.json().catch(() => null)) as (RegistrationAnswer & { error?: { code?: string; message?: string } }) | null
  if (!res.ok)
    throw new RegistrationError(
      `registry refused the ${what} (${res.status}): ${answer?.error?.message ?? res.statusText}`,
      answer?.error?.code
    )
  if (answer === null) throw new RegistrationError('registry answered without a body')
  return answer
}
