import type { z } from 'zod'

// Domain errors thrown by services. The HTTP layer maps them to status codes
// (http/errors.ts); the CLI prints their message.

export interface FieldProblem {
  field: string | undefined
  message: string
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError'
  /** Every problem found (the first is `field`/`message`), so a form can show them all at once. */
  readonly problems: FieldProblem[]

  constructor(
    readonly field: string | undefined,
    message: string,
    more: FieldProblem[] = []
  ) {
    super(message)
    this.problems = [{ field, message }, ...more]
  }

  static fromZod(error: z.ZodError, prefix?: string): ValidationError {
    const problems = error.issues.map(issue => {
      let path = issue.path.map(String)
      // An unknown key is reported on its parent; name the key itself.
      if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path = [...path, issue.keys[0]!]
      const field = [prefix, ...path].filter(p => p !== undefined && p !== '').join('.')
      const message = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys.join('", "')}"` : issue.message
      return { field: field === '' ? undefined : field, message }
    })
    const [first, ...more] = problems
    return first === undefined ? new ValidationError(prefix, 'invalid input') : new ValidationError(first.field, first.message, more)
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError'
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError'
  constructor(
    message: string,
    readonly field?: string
  ) {
    super(message)
  }
}

/** The node cannot start for a reason the operator fixes in the configuration (a taken port, …): one line, no stack. */
export class StartError extends Error {
  override readonly name = 'StartError'
}
