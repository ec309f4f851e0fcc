import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawn, type ChildProcess } from 'node:child_process'
import { completion, outputOnceReady, type CliResult } from './cli.js'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))

/**
 * Every command line of the README's ```sh blocks, as printed: `\` continuations
 * joined, trailing `# comments` dropped. Tests run them through bash.
 */
export function readmeCommands(file = join(REPO, 'README.md')): string[] {
  const text = readFileSync(file, 'utf8')
  const commands: string[] = []
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, '')
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#\s.*$/, '').trim()
      if (line !== '') commands.push(line)
    }
  }
  return commands
}

/**
 * A directory with an `npx` that runs this checkout's `swf-node` and
 * `swf-registry` from any working directory (the real npx finds them only
 * inside the repository, and would look elsewhere for them outside it).
 */
export function npxShim(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const npx = join(dir, 'npx')
  writeFileSync(
    npx,
    `#!/bin/sh
case "$1" in
  swf-node|swf-registry) tool="$1"; shift; exec "${process.execPath}" "${REPO}bin/$tool.js" "$@" ;;
  *) echo "npx shim: $1 is not this project's" >&2; exit 127 ;;
esac
`
  )
  chmodSync(npx, 0o755)
  return dir
}

export type ShellResult = CliResult

/** Runs one command line through bash, as a person would type it. */
export async function sh(line: string, opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ShellResult> {
  return completion(spawn('bash', ['-c', line], { cwd: opts.cwd, env: opts.env }))
}

/** Starts a long-running command line (`exec`ed, so the process is the program) and waits for `ready` in its output. */
export async function shStart(
  line: string,
  ready: RegExp,
  opts: { cwd: string; env: NodeJS.ProcessEnv; group?: boolean }
): Promise<{ child: ChildProcess; output: () => string }> {
  // group: a process group of its own, so interrupt() reaches every process in it, as Ctrl-C does.
  const child = spawn('bash', ['-c', `exec ${line}`], { cwd: opts.cwd, env: opts.env, detached: opts.group === true })
  return { child, output: await outputOnceReady(child, ready, line) }
}

/** Ctrl-C: SIGINT to the child's whole process group (started with group: true); resolves when the child has exited. */
export async function interrupt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => {
      resolve()
    })
  )
  process.kill(-child.pid!, 'SIGINT')
  await exited
}
