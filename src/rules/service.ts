import { HubError } from '../errors.js'
import type { RuleStore } from '../store/rule-store.js'
import { describeSource, parseRuleDefinition, type CompiledRule } from './compile-rule.js'
import { dryRun } from './dry-run.js'
import type { RulesEngine } from './engine.js'
import { formatIssues } from './format-issues.js'
import { ruleSchema, ruleTestSchema } from './rule-schema.js'

/**
 * What the rules engine offers the HTTP API (`/api/v1/rules`). The rules engine implements it and
 * registers it as `ctx.services.provide('rules', ...)`; the HTTP bridge only calls it.
 * Errors are HubErrors: HUB_ERR_RULE_INVALID (with zod issues or a SQL position in `details`),
 * HUB_ERR_RULE_LOOP, HUB_ERR_NOT_FOUND, HUB_ERR_METHOD_NOT_ALLOWED (a file rule changed through the
 * API: file rules are read-only there), HUB_ERR_BAD_REQUEST (a test request of the wrong shape).
 */
export interface RulesService {
  list(): RuleView[]
  get(id: string): RuleView | undefined
  /** Validate and add an API rule; it is stored in the hub's store. */
  create(definition: unknown): Promise<RuleView>
  /** Replace an API rule (PUT). File rules cannot be changed through the API. */
  replace(id: string, definition: unknown): Promise<RuleView>
  remove(id: string): Promise<boolean>
  setEnabled(id: string, enabled: boolean): Promise<RuleView>
  /** Run SQL against a sample message without side effects (dry run). */
  test(request: unknown): Promise<RuleTestResult>
  /** The zod schemas the engine validates with, for the OpenAPI document. */
  readonly schemas: { rule: import('zod').ZodType; test: import('zod').ZodType }
}

export interface RuleMetrics {
  matched: number
  passed: number
  failed: number
  actionsSucceeded: number
  actionsFailed: number
  /** Retries of actions (HTTP back-off), each counted once. */
  retries: number
  /** Mean time in milliseconds the rule's actions took to settle (runs that started actions). */
  latencyMs: number
}

export interface RuleView {
  id: string
  source: 'file' | 'api'
  file?: string
  enabled: boolean
  definition: unknown
  metrics: RuleMetrics
}

/**
 * What a dry run gives: `matched` says whether the sample's topic matches one of the FROM filters
 * (true for rules without topic filters), `passed` whether WHERE let it through, `output` the
 * selected fields (null when it did not pass). Output is JSON: binary data (bytes that are not UTF-8)
 * is shown as base64 text, and `binary` lists where (`payload`, `a.b`, `list[0]`); it is absent when
 * there is none. An SQL error gives `ok: false` with its position.
 */
export type RuleTestResult =
  | { ok: true; matched: boolean; passed: boolean; output: Record<string, unknown> | null; binary?: string[] }
  | { ok: false; error: string; line?: number; column?: number }

/**
 * The RulesService over a running engine and the hub's rule store. API rules are validated with the
 * same zod schema as files, checked for loops against every rule, then stored; file rules are
 * read-only here (edit the file, it is hot-reloaded).
 */
export function createRulesService(engine: RulesEngine, store: RuleStore): RulesService {
  const apiRule = (id: string): CompiledRule => {
    const rule = engine.get(id)
    if (rule === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `no rule with id "${id}"`)
    if (rule.origin.source === 'file') {
      throw new HubError('HUB_ERR_METHOD_NOT_ALLOWED', `rule "${id}" comes from ${rule.origin.file} and is read-only through the API; edit the file instead`)
    }
    return rule
  }
  /** Install in the engine first (it checks ids and loops), then store; undo the install if storing fails. */
  const install = async (rule: CompiledRule, previous: CompiledRule | undefined): Promise<RuleView> => {
    engine.putApiRule(rule)
    try {
      await store.put({ id: rule.id, definition: rule.definition, enabled: rule.enabled, updatedAt: Date.now() })
    } catch (error) {
      if (previous === undefined) engine.removeApiRule(rule.id)
      else engine.putApiRule(previous)
      throw error
    }
    return engine.view(rule)
  }
  return {
    schemas: { rule: ruleSchema, test: ruleTestSchema },
    list: () => engine.all().map((rule) => engine.view(rule)),
    get(id) {
      const rule = engine.get(id)
      return rule === undefined ? undefined : engine.view(rule)
    },
    async create(raw) {
      const definition = parseRuleDefinition(raw, { source: 'api' })
      const existing = engine.get(definition.id)
      if (existing !== undefined) {
        throw new HubError('HUB_ERR_RULE_INVALID', `API: rule "${definition.id}": id: a rule with this id already exists (from ${describeSource(existing.origin)})`)
      }
      return install(engine.compile(definition, { source: 'api' }), undefined)
    },
    async replace(id, raw) {
      const previous = apiRule(id)
      const body = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('id' in raw) ? { ...raw, id } : raw
      const definition = parseRuleDefinition(body, { source: 'api' })
      if (definition.id !== id) throw new HubError('HUB_ERR_RULE_INVALID', `API: rule "${id}": id: the body names rule "${definition.id}"; the id cannot change`)
      return install(engine.compile(definition, { source: 'api' }), previous)
    },
    async remove(id) {
      if (engine.get(id) === undefined) return false
      apiRule(id)
      engine.removeApiRule(id)
      await store.delete(id)
      return true
    },
    async setEnabled(id, enabled) {
      const previous = apiRule(id)
      return install(engine.compile(previous.definition, { source: 'api' }, enabled), previous)
    },
    async test(raw) {
      const result = ruleTestSchema.safeParse(raw)
      if (!result.success) {
        throw new HubError('HUB_ERR_BAD_REQUEST', formatIssues('rule test', result.error.issues), { details: { issues: result.error.issues } })
      }
      return dryRun(result.data)
    },
  }
}
