import { startJunction } from '../lib/brokers.js'
import type { Scenario } from '../lib/scenario.js'
import { runThroughput } from './mqtt.js'

/**
 * Issue 3: fan-in QoS 1 into a persistent session (clean session 0), so that every message is queued
 * in and acknowledged out of the session store: SQLite against the memory store.
 */
export const persistentSessionScenario: Scenario = {
  name: 'persistent-qos1',
  title: 'Fan-in QoS 1 into a persistent session, SQLite vs memory',
  issue: 3,
  description:
    '4 publishers -> 1 subscriber with a persistent session (clean session 0) on `bench/#`, QoS 1 both ways, 64-byte payloads, window of 500 undelivered messages; Junction with `storage.driver: sqlite` (data dir in a temp folder) against `memory`.',
  subjects: [
    { label: 'sqlite', start: (ctx) => startJunction(ctx, { storage: 'sqlite' }, 'junction-sqlite') },
    { label: 'memory', start: (ctx) => startJunction(ctx, { storage: 'memory' }, 'junction-memory') },
  ],
  metrics: [
    { key: 'perSecond', label: 'delivered msg / s', digits: 0 },
    { key: 'perCpuSecond', label: 'delivered msg / broker CPU-s', digits: 0 },
    { key: 'lost', label: 'lost', digits: 0 },
  ],
  comparisons: [
    { label: 'SQLite / memory', metric: 'perSecond', numerator: 'sqlite', denominator: 'memory', atLeast: 0.5 },
    { label: 'SQLite / memory', metric: 'perCpuSecond', numerator: 'sqlite', denominator: 'memory' },
  ],
  measure: (target, ctx) =>
    runThroughput(target, {
      publishers: 4,
      subscribers: 1,
      qos: 1,
      filter: 'bench/#',
      topicOf: (i) => `bench/${i}`,
      payloadBytes: 64,
      durationMs: ctx.quick ? 1_500 : 3_000,
      window: 500,
      persistentSubscribers: true,
      clientPrefix: `${ctx.runId}-persistent`,
    }),
}
