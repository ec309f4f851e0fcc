import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { expect } from 'vitest'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/swf-node.js', import.meta.url))
export const REGISTRY_BIN = fileURLToPath(new URL('../../bin/swf-registry.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `swf-node …` to completion in a child process. */
export async function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string } = {}): Promise<CliResult> {
  return completion(
    spawn(process.execPath, [opts.bin ?? BIN, ...args], { cwd: opts.cwd, env: { ...process.env, SWF_LOG_FORMAT: 'json', ...opts.env } })
  )
}

/** A child's exit code and everything it printed, once it has ended. */
export async function completion(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => {
      stdout += String(d)
    })
    child.stderr.on('data', d => {
      stderr += String(d)
    })
    child.on('error', reject)
    child.on('close', code => {
      resolve({ code, stdout, stderr })
    })
  })
}

/** Starts a long-running `swf-node …` and resolves once its stdout matches `ready`. */
export async function spawnCli(
  args: string[],
  ready: RegExp,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string } = {}
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [opts.bin ?? BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, SWF_LOG_FORMAT: 'json', ...opts.env }
  })
  return { child, output: await outputOnceReady(child, ready) }
}

/**
 * Collects a child's stdout and stderr and resolves once they match `ready`
 * (30 s at most; an exit first fails), with a reader of all output so far.
 */
export async function outputOnceReady(child: ChildProcess, ready: RegExp, what = ''): Promise<() => string> {
  let out = ''
  const named = what === '' ? '' : ` ${what}`
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`not ready within 30 s:${named}\n${out}`))
    }, 30_000)
    const onData = (d: Buffer): void => {
      out += String(d)
      if (ready.test(out)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('close', code => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code}:${named}\n${out}`))
    })
  })
  return () => out
}

export async function stopChild(child: ChildProcess): Promise<number | null> {
  // A child killed by a signal has exitCode null but signalCode set: it is gone too.
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
  return new Promise(resolve => {
    child.once('exit', code => {
      resolve(code)
    })
    child.kill('SIGTERM')
  })
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => {
        resolve(port)
      })
    })
  })
}

/**
 * How every CLI failure must look: exit code ≠ 0, one line `<tool>: …` on
 * stderr (JSON log lines of a starting node aside), no stack trace.
 */
export function expectOneLineError(r: CliResult, what: RegExp, tool = 'swf-node'): void {
  expect(r.code, r.stderr).not.toBe(0)
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter(l => !l.startsWith('{'))
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(new RegExp(`^${tool}: `))
  expect(lines[0]).toMatch(what)
  expect(r.stderr).not.toMatch(/^\s+at /m)
}
