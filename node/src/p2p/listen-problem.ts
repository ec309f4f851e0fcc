import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'

/**
 * Says in one line why libp2p could not listen (it reports only
 * "UnsupportedListenAddressesError … faultTolerance"): tries each TCP
 * address itself to tell a taken port from an address this machine lacks.
 */
export async function listenProblem(listen: string[]): Promise<string> {
  for (const addr of listen) {
    let host: string | undefined
    let port: number | undefined
    try {
      for (const c of multiaddr(addr).getComponents()) {
        if (c.name === 'ip4' || c.name === 'ip6') host = c.value
        if (c.name === 'tcp') port = Number(c.value)
      }
    } catch {
      return `P2P listen address ${addr} is not a multiaddr; set p2p.listen in config.json or SWF_P2P_LISTEN, e.g. /ip4/0.0.0.0/tcp/4001`
    }
    if (host === undefined || port === undefined) continue
    const code = await new Promise<string | undefined>(resolve => {
      const probe = createServer()
      probe.once('error', (err: NodeJS.ErrnoException) => {
        resolve(err.code ?? 'error')
      })
      probe.listen(port, host, () =>
        probe.close(() => {
          resolve(undefined)
        })
      )
    })
    if (code === 'EADDRINUSE')
      return `P2P port ${port} on ${host} is in use (${addr}); set p2p.listen in config.json or SWF_P2P_LISTEN to a free port`
    if (code !== undefined) return `P2P address ${addr} cannot be used here (${code}); set p2p.listen in config.json or SWF_P2P_LISTEN`
  }
  return `libp2p could not listen on ${listen.join(', ')}; set p2p.listen in config.json or SWF_P2P_LISTEN`
}
