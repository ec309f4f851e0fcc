import { peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { generateIdentityKey, peerIdOf } from '@swf/protocol'
import { markRingSuccessors, type DialTarget } from '@swf/node/p2p/dialer'

async function ids(n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(peerIdOf(await generateIdentityKey()))
  return out.sort()
}

const targetsFor = (self: string, all: string[]): DialTarget[] =>
  all.filter(p => p !== self).map(p => ({ peerId: peerIdFromString(p), addrs: ['/ip4/127.0.0.1/tcp/1'] }))

const marked = (targets: DialTarget[]): string[] => targets.filter(t => t.always === true).map(t => t.peerId.toString())

describe('markRingSuccessors', () => {
  it('marks the next peer id in the ring when it is connected', async () => {
    const all = await ids(6)
    const targets = targetsFor(all[2]!, all)
    markRingSuccessors(all[2]!, targets, () => true)
    expect(marked(targets)).toEqual([all[3]])
  })

  it('wraps around from the highest peer id to the lowest', async () => {
    const all = await ids(4)
    const targets = targetsFor(all[3]!, all)
    markRingSuccessors(all[3]!, targets, () => true)
    expect(marked(targets)).toEqual([all[0]])
  })

  it('skips unreachable successors up to the first reachable one, so offline nodes do not split the ring', async () => {
    const all = await ids(6)
    const targets = targetsFor(all[1]!, all)
    markRingSuccessors(all[1]!, targets, p => p === all[4])
    expect(marked(targets).sort()).toEqual([all[2], all[3], all[4]].sort())
  })

  it('marks at most 3 successors when none is reachable (no dial storm in a region that is down)', async () => {
    const all = await ids(8)
    const targets = targetsFor(all[0]!, all)
    markRingSuccessors(all[0]!, targets, () => false)
    expect(marked(targets)).toHaveLength(3)
  })
})
