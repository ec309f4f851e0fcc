import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Host } from '@swf/node/p2p/host'
import { waitFor, type RegionNode } from './region.js'

// Waits for the event a negative check needs: "nothing more arrived" means
// something only after the channel it would have come by has delivered.

/** When `at` last completed a pull from `from` (0: never). */
export function lastPullAt(at: RegionNode, from: RegionNode): number {
  const seen = at.node.network!.tracker.all().find(p => p.peerId === from.node.peerId)
  return seen?.lastSyncAt == null ? 0 : Date.parse(seen.lastSyncAt)
}

/**
 * Waits until `at` has completed, from each of `from`, a pull that began
 * after this call: everything those peers held by now has been offered to
 * `at` (by anti-entropy, which runs on its own). The first pull to finish
 * may have begun before the call, so one more is awaited; pulls from one
 * peer never overlap.
 */
export async function waitForFreshPulls(at: RegionNode, from: RegionNode[], timeoutMs = 30_000): Promise<void> {
  for (const round of ['under way', 'begun after the call']) {
    const since = Date.now()
    await waitFor(
      () => from.every(f => lastPullAt(at, f) > since),
      `${at.name} completing a pull (${round}) from ${from.map(f => f.name).join(', ')}`,
      timeoutMs
    )
  }
}

/**
 * Dials `target` from `host` and waits for the far side's gate to refuse:
 * the handshake may complete before the far side hangs up, so a dial that
 * resolves counts only once the connection has been closed under it (its
 * status turns 'aborted'). A dial the near side's own gate blocks
 * (DialDeniedError) is not the far side refusing and fails, as does a
 * connection left open. Resolves with how the refusal showed.
 */
export async function farSideRefuses(host: Host, target: Multiaddr, timeoutMs = 10_000): Promise<string> {
  let connection: Connection
  try {
    connection = await host.dial(target, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    if ((err as Error).name === 'DialDeniedError')
      throw new Error(`the dialling side's own gate blocked the dial to ${target.toString()}`, { cause: err })
    return `dial failed: ${(err as Error).name}: ${(err as Error).message}`
  }
  await waitFor(() => connection.status !== 'open', `${target.toString()} closing the connection it refuses`, timeoutMs)
  return 'connection closed by the far side'
}
