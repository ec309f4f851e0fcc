// `swf-node status` as lines a person reads: who, whether the node is in the
// region (and why not), peers, what it holds of the region.
import type { StatusAnswer } from '../http/response-schemas.js'

const MEMBERSHIP: Record<string, string> = {
  active: 'active in the region',
  pending: 'not yet in the region',
  revoked: 'REVOKED',
  'cut-off': 'CUT OFF from the region',
  'not-listed': 'not in the participant list'
}

export function statusLines(s: StatusAnswer, url: string): string[] {
  const lines = [
    `${s.kommune.name} (AGS ${s.kommune.ags}) at ${url}`,
    `  peer id:   ${s.peerId}`,
    `  datasets:  ${s.ownDatasets} own (${s.ownEntries} signed entries); region: ${s.regionalDatasets} datasets, ${s.regionalEntries} entries from ${s.sync.length} publisher(s)`
  ]
  if (s.registry === null) {
    lines.push('  region:    none (runs alone; join one with "swf-node join <registry-url>")')
  } else {
    const m = s.registry.membership
    lines.push(
      `  region:    ${m === null ? 'unknown' : (MEMBERSHIP[m.status] ?? m.status)}${m?.reason === undefined ? '' : ` — ${m.reason}`}`
    )
    lines.push(
      `  peers:     ${s.connectedPeers} connected of ${Math.max(0, s.registry.participants - (m?.status === 'active' ? 1 : 0))} other participant(s); list serial ${s.registry.listSerial}${s.registry.stale ? ' (STALE: the registry has not confirmed it)' : ''}`
    )
    const lagging = s.sync.filter(p => p.lag > 0)
    if (lagging.length > 0) lines.push(`  syncing:   ${lagging.map(p => `${p.kommune ?? p.publisher} (${p.lag} behind)`).join(', ')}`)
    for (const e of s.equivocations) lines.push(`  WARNING:   ${e.kommune ?? e.publisher} signed two histories (${e.proofs} proof(s))`)
    if (s.missingFiles !== null && s.missingFiles > 0)
      lines.push(`  WARNING:   ${s.missingFiles} file(s) this node should hold are missing; fetching them from the region`)
  }
  lines.push(`  up since:  ${s.startedAt}`)
  return lines
}
