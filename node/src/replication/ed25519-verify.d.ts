/** [x (JWK public key), JWS signing input, base64url signature] */
export type SignatureCheck = [x: string, input: string, signature: string]

export function createVerifier(maxKeys?: number): (check: SignatureCheck) => boolean
