/** CKAN answers bad parameters with 409 and {success: false, error: {__type, <field>: [message]}}. */
export class CkanError extends Error {
  override readonly name = 'CkanError'
  constructor(
    readonly status: 400 | 404 | 409,
    readonly type: 'Validation Error' | 'Not Found Error',
    message: string,
    readonly field?: string
  ) {
    super(message)
  }
}
