import { appendFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Counts what the reliability tests tried (fuzz cases, kills, partitions,
 * forged entries); tests/global-setup.ts prints the sums after the run.
 * Each test process appends lines to a file in a directory the setup made.
 */
export function tally(what: string, n: number): void {
  const dir = process.env.SWF_TALLY_DIR
  if (dir === undefined) return
  appendFileSync(join(dir, `${process.pid}.jsonl`), JSON.stringify({ what, n }) + '\n')
}
