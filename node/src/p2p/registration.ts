import { EntrySigner, REGISTRATION_TYP, type Ed25519PrivateKey, type Registration } from '../../../protocol/src/index.js'

export class RegistrationError extends Error {
  override readonly name = 'RegistrationError'
}

export interface RegistrationAnswer {
  id: string
  status: 'pending' | 'active' | 'revoked'
  peerId: string
}

/**
 * Sends this node's self-signed registration (proof of possession of its
 * key) to the registry. New nodes become pending; known ones update their
 * addresses.
 */
export async function registerWithRegistry (
  registryUrl: string,
  key: Ed25519PrivateKey,
  who: { kommune: string, ags: string },
  addresses: string[]
): Promise<RegistrationAnswer> {
  const signer = await EntrySigner.create(key)
  const reg: Registration = { v: 1, kommune: who.kommune, ags: who.ags, peerId: signer.peerId, addresses, issuedAt: new Date().toISOString() }
  const jws = await signer.signDocument(reg, REGISTRATION_TYP)
  let res: Response
  try {
    res = await fetch(`${registryUrl.replace(/\/+$/, '')}/participants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ registration: jws }),
      signal: AbortSignal.timeout(10_000)
    })
  } catch (err) {
    throw new RegistrationError(`registry at ${registryUrl} not reachable: ${(err as Error).message}`)
  }
  const body = await res.json().catch(() => null) as (RegistrationAnswer & { error?: { message?: string } }) | null
  if (!res.ok) throw new RegistrationError(`registry refused the registration (${res.status}): ${body?.error?.message ?? res.statusText}`)
  if (body === null) throw new RegistrationError('registry answered without a body')
  return body
}
