import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig, tokenPath } from '../config.js'

// The CLI talks to a running node over its HTTP API, like any other client:
// one writer per node, and the node gossips what it publishes.

export class CliError extends Error {
  override readonly name = 'CliError'
}

export interface ClientOptions {
  dataDir: string
  url?: string
}

export class NodeClient {
  readonly url: string
  readonly #token: string | undefined

  constructor(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env) {
    const dataDir = resolve(opts.dataDir)
    if (opts.url !== undefined) {
      this.url = opts.url.replace(/\/+$/, '')
    } else {
      const config = loadConfig(dataDir, env)
      const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host
      this.url = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`
    }
    this.#token = env.SWF_ADMIN_TOKEN ?? readToken(dataDir)
  }

  /** A request whose response is read by the caller (streams); errors are thrown as for request(). */
  async raw(path: string, init: RequestInit & { admin?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (init.admin === true) {
      if (this.#token === undefined) throw new CliError("no admin token: set SWF_ADMIN_TOKEN or use the node's --data-dir")
      headers.set('authorization', `Bearer ${this.#token}`)
    }
    let res: Response
    // Over the node's write rate: wait as told and try again (bodies that can be sent twice only).
    const replayable = init.body === undefined || init.body === null || typeof init.body === 'string'
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetch(`${this.url}${path}`, { ...init, headers })
      } catch {
        throw new CliError(`no node answers at ${this.url}; start it with "swf-node start"`)
      }
      const wait = Number(res.headers.get('retry-after') ?? 'NaN')
      if (res.status !== 429 || !replayable || attempt >= 5 || !(wait >= 0 && wait <= 60)) break
      await res.body?.cancel()
      await new Promise(resolve => setTimeout(resolve, wait * 1000))
    }
    if (!res.ok) await this.#fail(res)
    return res
  }

  /** Asks for a stream of JSON lines and yields each as it arrives; an error line is thrown. */
  async *lines<T = unknown>(path: string, init: RequestInit & { admin?: boolean } = {}): AsyncGenerator<T> {
    const headers = { ...(init.headers as Record<string, string>), accept: 'application/x-ndjson' }
    const res = await this.raw(path, { ...init, headers })
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true })
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim()
        buffer = buffer.slice(nl + 1)
        if (line === '') continue
        const msg = JSON.parse(line) as T | StreamedError
        if (isStreamedError(msg)) throw new CliError(`${msg.error.code}: ${msg.error.message}`)
        yield msg
      }
    }
  }

  /** A JSON answer, typed as the caller expects it (the API's answer types are in http/response-schemas.ts). */
  async request<T = unknown>(path: string, init: RequestInit & { admin?: boolean } = {}): Promise<T> {
    const res = await this.raw(path, init)
    const text = await res.text()
    try {
      return (text === '' ? null : JSON.parse(text)) as T
    } catch {
      return text as T
    }
  }

  async #fail(res: Response): Promise<never> {
    const text = await res.text()
    let err: ApiErrorBody | undefined
    try {
      err = (JSON.parse(text) as { error?: ApiErrorBody } | null)?.error
    } catch {
      err = undefined
    }
    if (err?.errors !== undefined && err.errors.length > 1) {
      throw new CliError(`${res.status} ${err.code}: ${err.errors.map(e => `${e.field ?? 'input'}: ${e.message}`).join('; ')}`)
    }
    const where = err?.field !== undefined ? ` (field "${err.field}")` : ''
    throw new CliError(`${res.status} ${err?.code ?? res.statusText}: ${err?.message ?? oneLine(text)}${where}`)
  }
}

/** The API's error body (http/errors.ts). */
interface ApiErrorBody {
  code: string
  message: string
  field?: string
  errors?: Array<{ field?: string; message: string }>
}

interface StreamedError {
  type: 'error'
  error: { code: string; message: string }
}

const isStreamedError = (msg: unknown): msg is StreamedError => (msg as { type?: unknown } | null)?.type === 'error'

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 300)

function readToken(dataDir: string): string | undefined {
  try {
    return readFileSync(tokenPath(dataDir), 'utf8').trim()
  } catch {
    return undefined
  }
}
