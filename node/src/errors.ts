import type { z } from 'zod'

// Domain errors thrown by services. The HTTP layer maps them to status codes
// (http/errors.ts); the CLI prints their message.

export class ValidationError extends Error {
  override readonly name = 'ValidationError'
  constructor (readonly field: string | undefined, message: string) {
    super(message)
  }

  static fromZod (error: z.ZodError, prefix?: string): ValidationError {
    const issue = error.issues[0]
    if (issue === undefined) return new ValidationError(prefix, 'invalid input')
    let path = issue.path.map(String)
    // An unknown key is reported on its parent; name the key itself.
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path = [...path, issue.keys[0]!]
    const field = [prefix, ...path].filter(p => p !== undefined && p !== '').join('.')
    const message = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys.join('", "')}"` : issue.message
    return new ValidationError(field === '' ? undefined : field, message)
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError'
  constructor (message: string, readonly field?: string) {
    super(message)
  }
}
