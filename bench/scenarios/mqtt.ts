import { MOSQUITTO_PATH, startAedes, startJunction, startMosquitto, type Target } from '../lib/brokers.js'
import { measureIdleConnections } from '../lib/idle-connections.js'
import { measureLatency } from '../lib/latency.js'
import type { RunContext, Scenario, Subject } from '../lib/scenario.js'
import { measureThroughput, type ThroughputSpec } from '../lib/throughput.js'

/** Junction (memory store), Aedes and, when installed, Mosquitto: the three brokers of issue 2. */
function brokers(): Subject[] {
  const subjects: Subject[] = [
    { label: 'junction', start: (ctx) => startJunction(ctx) },
    { label: 'aedes', start: (ctx) => startAedes(ctx.build) },
  ]
  if (MOSQUITTO_PATH !== undefined) subjects.push({ label: 'mosquitto', start: () => startMosquitto() })
  return subjects
}

/** Issue 2's throughput targets against both reference brokers. */
function brokerComparisons(metric: string, targets: boolean) {
  const comparisons = [{ label: 'Junction / Aedes', metric, numerator: 'junction', denominator: 'aedes', atLeast: targets ? 2 : undefined }]
  if (MOSQUITTO_PATH !== undefined) {
    comparisons.push({ label: 'Junction / Mosquitto', metric, numerator: 'junction', denominator: 'mosquitto', atLeast: targets ? 0.6 : undefined })
  }
  return comparisons
}

const throughputMetrics = [
  { key: 'perCpuSecond', label: 'delivered msg / broker CPU-s', digits: 0 },
  { key: 'perSecond', label: 'delivered msg / s', digits: 0 },
  { key: 'lost', label: 'lost', digits: 0 },
]

/** Seconds of publishing per run. */
function duration(ctx: RunContext): number {
  return ctx.quick ? 1_500 : 3_000
}

/** Run a throughput spec against a target's MQTT port and keep the figures the report shows. */
export async function runThroughput(target: Target, spec: ThroughputSpec): Promise<Record<string, number>> {
  const result = await measureThroughput(target.ports.mqtt as number, target.pid, spec)
  return { perCpuSecond: result.perCpuSecond, perSecond: result.perSecond, lost: result.lost }
}

/** Fan-in: 4 publishers -> 1 subscriber on `bench/#`, 64-byte payloads. */
export function fanInSpec(ctx: RunContext, qos: 0 | 1): ThroughputSpec {
  return {
    publishers: 4,
    subscribers: 1,
    qos,
    filter: 'bench/#',
    topicOf: (i) => `bench/${i}`,
    payloadBytes: 64,
    durationMs: duration(ctx),
    // QoS 1 stays under the brokers' default per-session queue limits (Junction and Mosquitto: 1,000)
    window: qos === 0 ? 5_000 : 500,
    clientPrefix: `${ctx.runId}-fanin`,
  }
}

const fanIn = (qos: 0 | 1): Scenario => ({
  name: `fan-in-qos${qos}`,
  title: `Fan-in, QoS ${qos}`,
  issue: 2,
  description:
    `4 publishers -> 1 subscriber on \`bench/#\`, 64-byte payloads, QoS ${qos}, as fast as a window of ${qos === 0 ? '5,000' : '500'} undelivered messages allows.` +
    (qos === 1
      ? ' Publishers keep at most 100 QoS 1 publishes unacknowledged each. Mosquitto counts messages it has written to the subscriber but whose PUBACK it has not read yet against `max_queued_messages` (1,000 by default) and drops beyond that ("Outgoing messages are being dropped" in its log): its lost column shows those, and its run then waits out the time with a full window.'
      : ''),
  subjects: brokers(),
  metrics: throughputMetrics,
  comparisons: brokerComparisons('perCpuSecond', qos === 0),
  measure: (target, ctx) => runThroughput(target, fanInSpec(ctx, qos)),
})

const fanOut: Scenario = {
  name: 'fan-out-qos0',
  title: 'Fan-out, QoS 0',
  issue: 2,
  description: '1 publisher -> 50 subscribers on `bench/#`, 64-byte payloads, QoS 0, window of 5,000 undelivered deliveries.',
  subjects: brokers(),
  metrics: throughputMetrics,
  comparisons: brokerComparisons('perCpuSecond', true),
  measure: (target, ctx) =>
    runThroughput(target, {
      publishers: 1,
      subscribers: 50,
      qos: 0,
      filter: 'bench/#',
      topicOf: () => 'bench/fanout',
      payloadBytes: 64,
      durationMs: duration(ctx),
      window: 5_000,
      clientPrefix: `${ctx.runId}-fanout`,
    }),
}

const latency: Scenario = {
  name: 'latency',
  title: 'Latency at 5,000 msg/s',
  issue: 2,
  description: '1 publisher -> 1 subscriber, QoS 0, 64-byte payloads carrying the send time, 5,000 msg/s; the first second is warm-up.',
  subjects: brokers(),
  metrics: [
    { key: 'p50', label: 'p50 ms', digits: 3 },
    { key: 'p90', label: 'p90 ms', digits: 3 },
    { key: 'p99', label: 'p99 ms', digits: 3 },
    { key: 'max', label: 'max ms', digits: 3 },
    { key: 'perCpuSecond', label: 'delivered msg / broker CPU-s', digits: 0 },
  ],
  comparisons: [],
  measure: async (target, ctx) => {
    const r = await measureLatency(target.ports.mqtt as number, target.pid, {
      ratePerSecond: 5_000,
      durationMs: ctx.quick ? 2_500 : 5_000,
      warmupMs: 1_000,
      payloadBytes: 64,
      clientPrefix: `${ctx.runId}-latency`,
    })
    return { p50: r.p50, p90: r.p90, p99: r.p99, max: r.max, perCpuSecond: r.perCpuSecond }
  },
}

const idleConnections: Scenario = {
  name: 'idle-connections',
  title: 'Idle connections',
  issue: 2,
  description:
    '10,000 idle MQTT 3.1.1 connections (keep alive 0, no subscriptions) opened in batches of 250; memory per connection = (RSS after - RSS before) / N from /proc/PID/status, each read after 1.5 s of quiet. Short (--quick) runs open 1,000, where the heap growing in steps makes the figure much less exact.',
  subjects: brokers(),
  metrics: [
    { key: 'connections', label: 'connections', digits: 0 },
    { key: 'bytesPerConnection', label: 'bytes / connection', digits: 0 },
  ],
  comparisons: [{ label: 'Junction / Aedes', metric: 'bytesPerConnection', numerator: 'junction', denominator: 'aedes' }],
  limits: [{ label: 'Junction bytes per idle connection', subject: 'junction', metric: 'bytesPerConnection', atMost: 5 * 1024 }],
  measure: async (target, ctx) => {
    const r = await measureIdleConnections(target.ports.mqtt as number, target.pid, {
      connections: ctx.quick ? 1_000 : 10_000,
      batch: 250,
      settleMs: ctx.quick ? 500 : 1_500,
      clientPrefix: `${ctx.runId}-idle`,
    })
    return { connections: r.connections, bytesPerConnection: r.bytesPerConnection }
  },
}

/** Issue 2's scenarios. */
export const mqttScenarios: Scenario[] = [fanIn(0), fanIn(1), fanOut, latency, idleConnections]
