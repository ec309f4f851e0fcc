import { routePath } from 'hono/route'
import type { MiddlewareHandler } from 'hono'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { RegionStatus } from './region/region-status.js'
import type { WhoIs } from './peer-names.js'
import type { EntryStore } from './services/entry-store.js'

const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

export interface MetricsDeps {
  store: EntryStore
  region?: RegionStatus
  directory?: { listAgeMs: () => number | null }
  whoIs: WhoIs
}

export interface NodeMetrics {
  registry: Registry
  /** Times every HTTP request by route pattern (bounded cardinality). */
  httpTiming: MiddlewareHandler
}

/**
 * Prometheus metrics of one node, in a registry of its own (tests run
 * several nodes in one process). Counts are read from the components when
 * scraped, so there is no second bookkeeping.
 */
export function createMetrics({ store, region, directory, whoIs }: MetricsDeps): NodeMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'swf_' })
  // prom-client names three gauges *_total, which Prometheus reserves for counters
  // (promtool check metrics). The same counts stay, per type, in swf_nodejs_active_{handles,requests,resources}.
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(`swf_${name}`)
  const label = (peer: string): string => whoIs(peer).kommune ?? 'unbekannt'

  new Gauge({
    name: 'swf_entries',
    help: 'Entries held per publisher (highest sequence number held)',
    labelNames: ['publisher', 'kommune'],
    registers: [registry],
    collect() {
      this.reset()
      for (const p of store.publisherStates()) this.set({ publisher: p.peerId, kommune: label(p.peerId) }, p.maxSeq)
    }
  })
  new Gauge({
    name: 'swf_sync_lag_entries',
    help: 'Entries held beyond a gap per publisher (maxSeq - contiguousSeq)',
    labelNames: ['publisher', 'kommune'],
    registers: [registry],
    collect() {
      this.reset()
      for (const p of store.publisherStates()) this.set({ publisher: p.peerId, kommune: label(p.peerId) }, p.maxSeq - p.contiguousSeq)
    }
  })
  new Gauge({
    name: 'swf_equivocation_proofs',
    help: 'Proofs held that a publisher signed two entries that cannot both stand (equivocation)',
    labelNames: ['publisher', 'kommune'],
    registers: [registry],
    collect() {
      this.reset()
      for (const e of store.equivocatingPublishers()) this.set({ publisher: e.publisher, kommune: label(e.publisher) }, e.proofs)
    }
  })
  new Gauge({
    name: 'swf_participant_list_age_seconds',
    help: 'Seconds since the registry last confirmed the participant list (-1 without a list)',
    registers: [registry],
    collect() {
      const ms = directory?.listAgeMs() ?? null
      this.set(ms === null ? -1 : Math.round(ms / 1000))
    }
  })
  new Gauge({
    name: 'swf_datasets',
    help: 'Live datasets held (own and synced)',
    registers: [registry],
    collect() {
      this.set(store.countDatasets())
    }
  })
  new Gauge({
    name: 'swf_connected_peers',
    help: 'Connected libp2p peers',
    registers: [registry],
    collect() {
      this.set(region?.connectedPeers().length ?? 0)
    }
  })
  new Counter({
    name: 'swf_gossip_messages_total',
    help: 'Gossip messages by validation result',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset()
      const c = region?.gossipCounters()
      if (c == null) return
      this.inc({ result: 'accepted' }, c.accepted)
      this.inc({ result: 'ignored' }, c.ignored)
      this.inc({ result: 'rejected' }, c.rejected)
      this.inc({ result: 'published' }, c.published)
    }
  })
  new Counter({
    name: 'swf_entries_received_total',
    help: 'Entries received from other nodes (gossip and pull) by outcome',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset()
      const c = region?.acceptCounters()
      if (c === undefined) return
      for (const [outcome, n] of Object.entries(c) as Array<[string, number]>) this.inc({ outcome }, n)
    }
  })
  const latency = new Histogram({
    name: 'swf_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry]
  })
  const httpTiming: MiddlewareHandler = async (c, next) => {
    const end = latency.startTimer()
    await next()
    end({ method: c.req.method, route: routePath(c), status: String(c.res.status) })
  }
  return { registry, httpTiming }
}
