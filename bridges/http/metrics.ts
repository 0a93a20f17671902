/**
 * Prometheus metrics for `GET /metrics`. The hub's plain counters (HubStats) are read when Prometheus
 * scrapes, in `collect()` callbacks, so the hot path never touches prom-client. Node's process
 * metrics (CPU, memory, heap, event-loop delay, GC, handles) come from prom-client's default set.
 */
import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client'
import type { HubContext } from '../../src/hub-context.js'
import type { Protocol } from '../../src/message.js'

const PROTOCOLS: readonly Protocol[] = ['mqtt', 'http', 'coap', 'rule', 'system']

/** The metrics the HTTP bridge itself updates. */
export interface HttpMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>
  readonly streams: Gauge
  readonly streamCutoffs: Counter
  /** Take every metric this bridge added out of the registry again. */
  remove(): void
}

/** Register the hub and HTTP metrics in `ctx.metrics`. */
export function registerMetrics(ctx: HubContext): HttpMetrics {
  const registry = ctx.metrics
  const names: string[] = []
  const track = <M>(name: string, metric: M): M => {
    names.push(name)
    return metric
  }
  const stats = ctx.stats

  registerCounterFromStats(registry, names, 'junction_connections_total', 'Connections accepted since start', () => stats.connectionsTotal)
  registerCounterFromStats(registry, names, 'junction_bytes_received_total', 'Payload bytes of messages accepted into the hub', () => stats.bytesIn)
  registerCounterFromStats(registry, names, 'junction_bytes_sent_total', 'Payload bytes of messages delivered to subscribers', () => stats.bytesOut)
  registerCounterFromStats(registry, names, 'junction_messages_dropped_total', 'Messages dropped: queue limits, expiry, hop limit, slow consumers', () => stats.messagesDropped)
  registerCounterFromStats(registry, names, 'junction_protocol_errors_total', 'Connections closed for protocol errors or bad input', () => stats.protocolErrors)
  registerCounterFromStats(registry, names, 'junction_limit_breaches_total', 'Requests refused by a configured limit', () => stats.limitBreaches)
  registerPerLabelCounter(registry, names, 'junction_messages_received_total', 'Messages accepted into the hub, by the protocol they came from', 'protocol', () =>
    PROTOCOLS.map((p) => [p, stats.messagesIn[p]]),
  )
  registerPerLabelCounter(registry, names, 'junction_messages_sent_total', 'Messages delivered to subscribers, by the protocol they went out over', 'protocol', () =>
    PROTOCOLS.map((p) => [p, stats.messagesOut[p]]),
  )
  registerPerLabelCounter(registry, names, 'junction_bridge_requests_total', 'Requests received by the HTTP and CoAP bridges', 'protocol', () =>
    Object.entries(stats.requests),
  )
  registerGauge(registry, names, 'junction_connections', 'Open connections', () => stats.connections)
  registerGauge(registry, names, 'junction_uptime_seconds', 'Seconds since the hub started', () => (Date.now() - stats.startedAt) / 1000)
  registerGauge(registry, names, 'junction_retained_messages', 'Retained messages in the store', () => ctx.retained.count())
  registerProcessMetrics(registry, names)
  const requests = track('junction_http_requests_total', new Counter({ name: 'junction_http_requests_total', help: 'HTTP API requests by method, route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] }))
  const streams = track('junction_http_streams', new Gauge({ name: 'junction_http_streams', help: 'Open Server-Sent Events streams', registers: [registry] }))
  const streamCutoffs = track('junction_http_stream_cutoffs_total', new Counter({ name: 'junction_http_stream_cutoffs_total', help: 'Server-Sent Events streams ended because the reader fell behind', registers: [registry] }))

  return {
    requests,
    streams,
    streamCutoffs,
    remove() {
      for (const name of names) registry.removeSingleMetric(name)
    },
  }
}

/** prom-client's default process and Node.js metrics (`process_*`, `nodejs_*`), tracked for removal. */
function registerProcessMetrics(registry: Registry, names: string[]): void {
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name))
  collectDefaultMetrics({ register: registry })
  for (const metric of registry.getMetricsAsArray()) if (!before.has(metric.name)) names.push(metric.name)
}

/** A counter whose value is read from a hub counter at scrape time. */
function registerCounterFromStats(registry: Registry, names: string[], name: string, help: string, read: () => number): void {
  names.push(name)
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset()
      this.inc(read())
    },
  })
}

/** A counter with one label whose values are read from the hub at scrape time. */
function registerPerLabelCounter(registry: Registry, names: string[], name: string, help: string, label: string, read: () => Array<[string, number]>): void {
  names.push(name)
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset()
      for (const [value, count] of read()) this.inc({ [label]: value }, count)
    },
  })
}

/** A gauge whose value is read at scrape time (possibly from the store). */
function registerGauge(registry: Registry, names: string[], name: string, help: string, read: () => number | Promise<number>): void {
  names.push(name)
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read())
    },
  })
}
