import { Counter, Histogram, type Registry } from 'prom-client'
import type { RuleMetrics } from './service.js'

/**
 * Per-rule counters (DESIGN.md §7): kept as plain numbers for the API's RuleView and exported to
 * Prometheus through the hub's registry with a `rule` label.
 */
export class RuleMetricsRecorder {
  private readonly counts = new Map<string, { matched: number; passed: number; failed: number; actionsSucceeded: number; actionsFailed: number; retries: number; runs: number; latencyTotal: number }>()
  private readonly matched: Counter<'rule'>
  private readonly passed: Counter<'rule'>
  private readonly failed: Counter<'rule'>
  private readonly actions: Counter<'rule' | 'result'>
  private readonly retries: Counter<'rule'>
  private readonly latency: Histogram<'rule'>
  private readonly names: string[] = []

  constructor(private readonly registry: Registry) {
    const registers = [registry]
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => {
      this.names.push(name)
      return new Counter<L>({ name, help, labelNames, registers })
    }
    this.matched = counter('junction_rule_matched_total', 'Messages, events and schedule ticks a rule received', ['rule'])
    this.passed = counter('junction_rule_passed_total', 'Rule runs whose WHERE clause passed', ['rule'])
    this.failed = counter('junction_rule_failed_total', 'Rule runs that failed (SQL evaluation error or a failed action)', ['rule'])
    this.actions = counter('junction_rule_actions_total', 'Rule actions run, by result (succeeded or failed)', ['rule', 'result'])
    this.retries = counter('junction_rule_action_retries_total', 'Retries of rule actions (HTTP back-off)', ['rule'])
    this.names.push('junction_rule_latency_seconds')
    this.latency = new Histogram({
      name: 'junction_rule_latency_seconds',
      help: 'Time from a rule receiving a message to its actions settling',
      labelNames: ['rule'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    })
  }

  private of(rule: string) {
    let c = this.counts.get(rule)
    if (c === undefined) {
      c = { matched: 0, passed: 0, failed: 0, actionsSucceeded: 0, actionsFailed: 0, retries: 0, runs: 0, latencyTotal: 0 }
      this.counts.set(rule, c)
    }
    return c
  }

  recordMatched(rule: string): void {
    this.of(rule).matched++
    this.matched.inc({ rule })
  }

  recordPassed(rule: string): void {
    this.of(rule).passed++
    this.passed.inc({ rule })
  }

  recordFailed(rule: string): void {
    this.of(rule).failed++
    this.failed.inc({ rule })
  }

  recordAction(rule: string, ok: boolean): void {
    const c = this.of(rule)
    if (ok) c.actionsSucceeded++
    else c.actionsFailed++
    this.actions.inc({ rule, result: ok ? 'succeeded' : 'failed' })
  }

  recordRetry(rule: string): void {
    this.of(rule).retries++
    this.retries.inc({ rule })
  }

  recordLatency(rule: string, ms: number): void {
    const c = this.of(rule)
    c.runs++
    c.latencyTotal += ms
    this.latency.observe({ rule }, ms / 1000)
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
      latencyMs: c.runs === 0 ? 0 : c.latencyTotal / c.runs,
    }
  }

  /** Forget a removed rule's counters and label sets. */
  forget(rule: string): void {
    this.counts.delete(rule)
    for (const metric of [this.matched, this.passed, this.failed, this.retries, this.latency]) metric.remove({ rule })
    for (const result of ['succeeded', 'failed']) this.actions.remove({ rule, result })
  }

  /** Take the metrics off the registry (the engine stopped). */
  unregister(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name)
  }
}
