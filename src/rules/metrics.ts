import { Counter, type Metric, type Registry } from 'prom-client'
import type { RuleMetrics } from './service.js'

/** Latency buckets in seconds: from a SQL-only run (tens of µs) to a webhook backing off. */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30]

interface RuleCounts {
  matched: number
  passed: number
  failed: number
  actionsSucceeded: number
  actionsFailed: number
  retries: number
  /** Latency histogram: count per bucket (not cumulative), sum in seconds, runs. */
  buckets: number[]
  latencySum: number
  runs: number
}

type CountName = 'matched' | 'passed' | 'failed' | 'retries'

/**
 * Per-rule counters (DESIGN.md §7), kept as plain numbers: the hot path of a message costs a few
 * increments, and Prometheus reads them through collect callbacks when `/metrics` is scraped (a
 * labelled prom-client `inc` per message would cost more than matching the rule). The API's RuleView
 * reads the same numbers.
 */
export class RuleMetricsRecorder {
  private readonly counts = new Map<string, RuleCounts>()
  private readonly names: string[] = []

  constructor(private readonly registry: Registry) {
    this.exportCounter('junction_rule_matched_total', 'Messages, events and schedule ticks a rule received', 'matched')
    this.exportCounter('junction_rule_passed_total', 'Rule runs whose WHERE clause passed', 'passed')
    this.exportCounter('junction_rule_failed_total', 'Rule runs that failed (SQL evaluation error or a failed action)', 'failed')
    this.exportCounter('junction_rule_action_retries_total', 'Retries of rule actions (HTTP back-off)', 'retries')
    const counts = this.counts
    this.names.push('junction_rule_actions_total')
    new Counter({
      name: 'junction_rule_actions_total',
      help: 'Rule actions run, by result (succeeded or failed)',
      labelNames: ['rule', 'result'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [rule, c] of counts) {
          this.inc({ rule, result: 'succeeded' }, c.actionsSucceeded)
          this.inc({ rule, result: 'failed' }, c.actionsFailed)
        }
      },
    })
    this.names.push('junction_rule_latency_seconds')
    registry.registerMetric(latencyHistogram('junction_rule_latency_seconds', 'Time from a rule receiving a message to its actions settling', counts) as unknown as Metric)
  }

  /** The counts of a rule, created on first use; a rule reloaded under the same id keeps counting. */
  private of(rule: string): RuleCounts {
    let c = this.counts.get(rule)
    if (c === undefined) {
      c = { matched: 0, passed: 0, failed: 0, actionsSucceeded: 0, actionsFailed: 0, retries: 0, buckets: LATENCY_BUCKETS.map(() => 0), latencySum: 0, runs: 0 }
      this.counts.set(rule, c)
    }
    return c
  }

  /** The counts of a rule; the engine increments `matched`, `passed` and `failed` on them directly. */
  countsOf(rule: string): RuleCounts {
    return this.of(rule)
  }

  recordAction(counts: RuleCounts, ok: boolean): void {
    if (ok) counts.actionsSucceeded++
    else counts.actionsFailed++
  }

  recordRetry(rule: string): void {
    this.of(rule).retries++
  }

  /** Add one run's latency in milliseconds. */
  recordLatency(counts: RuleCounts, ms: number): void {
    const seconds = ms / 1000
    counts.runs++
    counts.latencySum += seconds
    let i = 0
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++
    if (i < counts.buckets.length) counts.buckets[i] = (counts.buckets[i] as number) + 1
  }

  /** The counters of one rule, as RuleView shows them. */
  snapshot(rule: string): RuleMetrics {
    const c = this.of(rule)
    return {
      matched: c.matched,
      passed: c.passed,
      failed: c.failed,
      actionsSucceeded: c.actionsSucceeded,
      actionsFailed: c.actionsFailed,
      retries: c.retries,
      latencyMs: c.runs === 0 ? 0 : (c.latencySum * 1000) / c.runs,
    }
  }

  /** Forget a removed rule's counters, so it leaves `/metrics` too. */
  forget(rule: string): void {
    this.counts.delete(rule)
  }

  /** Take the metrics off the registry (the engine stopped). */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name)
  }

  private exportCounter(name: string, help: string, field: CountName): void {
    const counts = this.counts
    this.names.push(name)
    new Counter({
      name,
      help,
      labelNames: ['rule'],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const [rule, c] of counts) this.inc({ rule }, c[field])
      },
    })
  }
}

export type { RuleCounts }

/**
 * A Prometheus histogram read from the per-rule bucket counts when scraped; it has the shape
 * prom-client's registry expects of a metric (`name`, `help`, `type`, `get()`, `reset()`).
 */
function latencyHistogram(name: string, help: string, counts: ReadonlyMap<string, RuleCounts>) {
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset() {},
    async get() {
      const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = []
      for (const [rule, c] of counts) {
        let cumulative = 0
        LATENCY_BUCKETS.forEach((le, i) => {
          cumulative += c.buckets[i] as number
          values.push({ metricName: `${name}_bucket`, labels: { rule, le }, value: cumulative })
        })
        values.push({ metricName: `${name}_bucket`, labels: { rule, le: '+Inf' }, value: c.runs })
        values.push({ metricName: `${name}_sum`, labels: { rule }, value: c.latencySum })
        values.push({ metricName: `${name}_count`, labels: { rule }, value: c.runs })
      }
      return { name, help, type: 'histogram', values, aggregator: 'sum' }
    },
  }
}
