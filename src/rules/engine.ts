import type { EventEmitter } from 'node:events'
import type { HubContext, HubEvents, Unsubscribe } from '../hub-context.js'
import type { Logger } from '../log.js'
import type { Message } from '../message.js'
import type { ActionDeps, Trigger } from './actions/index.js'
import { HubError } from '../errors.js'
import { compileRule, describeSource, type CompiledRule, type RuleSource } from './compile-rule.js'
import { encodeDeadLetter, type FailedAction } from './dead-letter.js'
import { assertNoRuleLoop } from './loop-check.js'
import { RuleMetricsRecorder, type RuleCounts } from './metrics.js'
import { readRuleFile } from './rule-files.js'
import type { RuleDefinition } from './rule-schema.js'
import { scheduleRun } from './scheduler.js'
import type { RuleView } from './service.js'
import type { Value } from './sql/ast.js'
import { createEventRow, MessageRow, createScheduleRow, type EventSource, type Row } from './sql/row.js'

interface TopicEntry {
  unsubscribe: Unsubscribe
  rules: CompiledRule[]
}

interface EventEntry {
  listener: (data: unknown) => void
  rules: CompiledRule[]
}

/** The rules in force: those of each file, in file order, then those created through the API. */
interface RuleSet {
  files: ReadonlyMap<string, readonly CompiledRule[]>
  api: ReadonlyMap<string, CompiledRule>
}

/**
 * The rules engine proper: holds the compiled rules, subscribes once per distinct FROM filter through
 * the kernel (its topic tree does the matching, so 1,000 rules cost little more than 10), listens to
 * hub events, runs schedules, and runs each rule's actions with every failure caught and counted.
 */
export class RulesEngine {
  readonly metrics: RuleMetricsRecorder
  private state: RuleSet = { files: new Map(), api: new Map() }
  private readonly topics = new Map<string, TopicEntry>()
  private readonly events = new Map<EventSource, EventEntry>()
  private readonly schedules = new Map<string, { rule: CompiledRule; stop: () => Promise<void> }>()
  private readonly inflight = new Set<Promise<void>>()
  private readonly abort = new AbortController()
  private readonly actionDeps: ActionDeps
  /** The last message a rule with several FROM filters ran on, so overlapping filters run it once. */
  private readonly lastMessage = new WeakMap<CompiledRule, string>()
  /** One row per message, shared by every rule it matches (through every filter), so its JSON payload is parsed once. */
  private row: Row | undefined
  private rowMessageId: string | undefined

  constructor(
    private readonly ctx: HubContext,
    private readonly log: Logger,
  ) {
    this.metrics = new RuleMetricsRecorder(ctx.metrics)
    this.actionDeps = {
      publish: (input, origin) => ctx.publish(input, origin),
      authorizePublish: (identity, topic) => ctx.hooks.authorizePublish(identity, topic),
      services: ctx.services,
      log,
      signal: this.abort.signal,
      onRetry: (ruleId) => this.metrics.recordRetry(ruleId),
    }
  }

  /** Compile a validated definition against this engine's kernel. */
  compile(definition: RuleDefinition, origin: RuleSource, enabled?: boolean): CompiledRule {
    return compileRule(definition, origin, this.actionDeps, enabled)
  }

  /** Load (or reload) a rule file; throws, leaving the running rules as they were, if anything is wrong. */
  loadFile(file: string): void {
    const rules = readRuleFile(file).map((definition) => this.compile(definition, { source: 'file', file }))
    const files = new Map(this.state.files)
    files.set(file, rules)
    this.commit({ files, api: this.state.api })
  }

  /** Hot reload after a file changed: a bad edit keeps the old rules running and says why. */
  reloadFile(file: string): void {
    try {
      this.loadFile(file)
      this.log.info({ file, rules: this.state.files.get(file)?.map((r) => r.id) }, 'rule file reloaded')
    } catch (error) {
      this.log.error({ file, err: error }, `rule file reload failed, the previous rules keep running: ${(error as Error).message}`)
    }
  }

  /** Add or replace an API rule. */
  putApiRule(rule: CompiledRule): void {
    const api = new Map(this.state.api)
    api.set(rule.id, rule)
    this.commit({ files: this.state.files, api })
  }

  removeApiRule(id: string): boolean {
    if (!this.state.api.has(id)) return false
    const api = new Map(this.state.api)
    api.delete(id)
    this.commit({ files: this.state.files, api })
    return true
  }

  get(id: string): CompiledRule | undefined {
    return this.state.api.get(id) ?? this.all().find((r) => r.id === id)
  }

  all(): CompiledRule[] {
    return [...[...this.state.files.values()].flat(), ...this.state.api.values()]
  }

  view(rule: CompiledRule): RuleView {
    return {
      id: rule.id,
      source: rule.origin.source,
      ...(rule.origin.source === 'file' ? { file: rule.origin.file } : {}),
      enabled: rule.enabled,
      definition: { ...rule.definition, enabled: rule.enabled },
      metrics: this.metrics.snapshot(rule.id),
    }
  }

  /** Stop everything: subscriptions, listeners, schedules; pending retries are cut short. */
  async stop(): Promise<void> {
    this.abort.abort(new HubError('HUB_ERR_SHUTTING_DOWN', 'the rules engine is stopping'))
    this.state = { files: new Map(), api: new Map() }
    this.reindex()
    await Promise.allSettled([...this.inflight])
    this.metrics.unregister()
  }

  /** Check a candidate rule set (unique ids, no loops among enabled rules) and switch to it. */
  private commit(next: RuleSet): void {
    const rules = [...[...next.files.values()].flat(), ...next.api.values()]
    const owners = new Map<string, CompiledRule>()
    for (const rule of rules) {
      const other = owners.get(rule.id)
      if (other !== undefined) {
        throw new HubError('HUB_ERR_RULE_INVALID', `${describeSource(rule.origin)}: rule "${rule.id}": id: the id is already used by a rule from ${describeSource(other.origin)}`)
      }
      owners.set(rule.id, rule)
    }
    assertNoRuleLoop(rules.filter((r) => r.enabled))
    const before = this.all()
    this.state = next
    for (const old of before) if (!owners.has(old.id)) this.metrics.forget(old.id)
    this.reindex()
  }

  /** Bring kernel subscriptions, event listeners and schedules in line with the enabled rules. */
  private reindex(): void {
    const byFilter = new Map<string, CompiledRule[]>()
    const byEvent = new Map<EventSource, CompiledRule[]>()
    const scheduled = new Map<string, CompiledRule>()
    for (const rule of this.all()) {
      if (!rule.enabled) continue
      for (const filter of rule.query.filters) appendTo(byFilter, filter, rule)
      for (const event of rule.query.events) appendTo(byEvent, event, rule)
      if (rule.definition.schedule !== undefined) scheduled.set(rule.id, rule)
    }
    for (const [filter, entry] of this.topics) {
      if (!byFilter.has(filter)) {
        entry.unsubscribe()
        this.topics.delete(filter)
      }
    }
    for (const [filter, rules] of byFilter) {
      const entry = this.topics.get(filter)
      if (entry !== undefined) entry.rules = rules
      else this.subscribeFilter(filter, rules)
    }
    for (const [event, entry] of this.events) {
      if (!byEvent.has(event)) {
        this.hubEvents().off(event, entry.listener)
        this.events.delete(event)
      }
    }
    for (const [event, rules] of byEvent) {
      const entry = this.events.get(event)
      if (entry !== undefined) entry.rules = rules
      else this.listenEvent(event, rules)
    }
    for (const [id, task] of this.schedules) {
      if (scheduled.get(id) === task.rule) continue
      this.schedules.delete(id)
      this.track(task.stop().catch((error: unknown) => this.log.error({ err: error, rule: id }, 'stopping a rule schedule failed')))
    }
    for (const [id, rule] of scheduled) {
      if (this.schedules.has(id)) continue
      const stop = scheduleRun(rule.definition.schedule as string, `rule:${id}`, this.log, () => this.run(rule, createScheduleRow(), { ruleId: id, hops: 0 }))
      this.schedules.set(id, { rule, stop })
    }
  }

  private subscribeFilter(filter: string, rules: CompiledRule[]): void {
    const entry: TopicEntry = { rules, unsubscribe: () => {} }
    // returns nothing: a rule never holds up the publisher's acknowledgement
    entry.unsubscribe = this.ctx.subscribe(filter, (message) => this.deliver(entry, message), { qos: 2, owner: `rules:${filter}` })
    this.topics.set(filter, entry)
  }

  private listenEvent(event: EventSource, rules: CompiledRule[]): void {
    const entry: EventEntry = {
      rules,
      listener: ((data: HubEvents[typeof event][0]) => {
        try {
          const message = event === 'message_dropped' ? (data as HubEvents['message_dropped'][0]).message : undefined
          // A rule reading drops must not hear about drops of its own output (a drop notice dropped in
          // turn, e.g. by the hop limit, would feed it forever); a drop event starts a new flow at hop 0.
          const from = message?.origin.protocol === 'rule' ? message.origin.ruleId : undefined
          if (from !== undefined && entry.rules.some((rule) => rule.id === from)) return
          const row = createEventRow(event, data)
          for (const rule of entry.rules) this.run(rule, row, { ruleId: rule.id, hops: 0, ...(message === undefined ? {} : { message }) })
        } catch (error) {
          this.log.error({ err: error, event }, 'rules: handling a hub event failed')
        }
      }) as (data: unknown) => void,
    }
    this.hubEvents().on(event, entry.listener)
    this.events.set(event, entry)
  }

  /** The hub's event emitter without its per-event typing, for listeners kept in one table. */
  private hubEvents(): EventEmitter {
    return this.ctx.events as unknown as EventEmitter
  }

  private deliver(entry: TopicEntry, message: Message): void {
    try {
      if (this.rowMessageId !== message.id) {
        this.rowMessageId = message.id
        this.row = new MessageRow(message)
      }
      const row = this.row as Row
      const hops = message.origin.hops ?? 0
      for (const rule of entry.rules) {
        if (rule.query.filters.length > 1) {
          if (this.lastMessage.get(rule) === message.id) continue
          this.lastMessage.set(rule, message.id)
        }
        this.run(rule, row, { ruleId: rule.id, hops, message })
      }
    } catch (error) {
      this.log.error({ err: error, topic: message.topic }, 'rules: delivering a message failed')
    }
  }

  /**
   * Run one rule on one row. Never throws: every failure is counted, logged and dead-lettered.
   * Returns the promise of its actions when it started any (schedules wait on it), else undefined.
   */
  private run(rule: CompiledRule, row: Row, trigger: Trigger): Promise<void> | undefined {
    const counts = this.metrics.countsOf(rule.id)
    counts.matched++
    let output: Record<string, Value> | undefined
    try {
      output = rule.query.run(row)
    } catch (error) {
      counts.failed++
      this.reportFailure(rule, error, trigger, undefined)
      return undefined
    }
    if (output === undefined) return undefined
    counts.passed++
    if (rule.actions.length === 0) return undefined
    return this.track(this.runActions(rule, output, trigger, counts))
  }

  private async runActions(rule: CompiledRule, fields: Record<string, Value>, trigger: Trigger, counts: RuleCounts): Promise<void> {
    // latency is what actions take to settle; evaluating the SQL alone costs microseconds, and timing
    // every evaluation would cost a noticeable share of it
    const started = performance.now()
    // actions run side by side: a webhook backing off does not hold up a republish
    const results = await Promise.allSettled(rule.actions.map((action) => action.run(fields, trigger)))
    let failed = false
    results.forEach((result, index) => {
      this.metrics.recordAction(counts, result.status === 'fulfilled')
      if (result.status === 'rejected') {
        failed = true
        this.reportFailure(rule, result.reason, trigger, { index, kind: (rule.actions[index] as { kind: string }).kind, fields })
      }
    })
    if (failed) counts.failed++
    this.metrics.recordLatency(counts, performance.now() - started)
  }

  /** Keep a promise in the in-flight set until it settles, so stop() can wait for it. */
  private track(promise: Promise<void>): Promise<void> {
    this.inflight.add(promise)
    void promise.finally(() => this.inflight.delete(promise))
    return promise
  }

  /** Log a failure and, when the rule has a dead-letter topic, publish it there as JSON. */
  private reportFailure(rule: CompiledRule, error: unknown, trigger: Trigger, action: FailedAction | undefined): void {
    const message = error instanceof Error ? error.message : String(error)
    this.log.warn({ rule: rule.id, action: action?.kind, err: error }, `rule ${rule.id} failed: ${message}`)
    const topic = rule.definition.deadLetterTopic
    if (topic === undefined || this.abort.signal.aborted) return
    const letter = encodeDeadLetter(rule.id, message, trigger.message, action)
    const publishing = this.ctx
      .publish({ topic, payload: letter, qos: 1 }, { protocol: 'rule', ruleId: rule.id, hops: trigger.hops + 1 })
      .then(
        () => undefined,
        (failure: unknown) => this.log.error({ rule: rule.id, err: failure, topic }, 'publishing to the dead-letter topic failed'),
      )
    this.track(publishing)
  }
}

function appendTo<K>(map: Map<K, CompiledRule[]>, key: K, rule: CompiledRule): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [rule])
  else list.push(rule)
}
