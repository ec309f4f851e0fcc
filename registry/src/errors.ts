export class RegistryError extends Error {
  override readonly name = 'RegistryError'
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 429,
    readonly code: string,
    message: string,
    readonly field?: string
  ) {
    super(message)
  }
}
