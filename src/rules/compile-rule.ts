import { HubError, isHubError } from '../errors.js'
import { createAction, type ActionDeps, type RuleAction } from './actions/index.js'
import { formatIssues } from './format-issues.js'
import type { LoopNode } from './loop-check.js'
import { ruleSchema, type RuleDefinition } from './rule-schema.js'
import { compileSql, type CompiledQuery } from './sql/compiler.js'

/** Where a rule comes from: a YAML file (read-only through the API) or the HTTP API (kept in the store). */
export type RuleSource = { source: 'file'; file: string } | { source: 'api' }

/** A validated rule with its SQL and actions compiled, ready to run. */
export interface CompiledRule extends LoopNode {
  readonly id: string
  readonly definition: RuleDefinition
  readonly origin: RuleSource
  /** API rules keep their on/off state in the store; file rules in `enabled:`. */
  readonly enabled: boolean
  readonly query: CompiledQuery
  readonly actions: readonly RuleAction[]
}

/** How errors name a rule's source: the file path or "API". */
export function describeSource(origin: RuleSource): string {
  return origin.source === 'file' ? origin.file : 'API'
}

/** Validate a raw definition with the rule schema; errors name the source, rule id, key path and expectation. */
export function parseRuleDefinition(raw: unknown, origin: RuleSource): RuleDefinition {
  const result = ruleSchema.safeParse(raw)
  if (result.success) return result.data
  const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined
  const prefix = `${describeSource(origin)}: ${id === undefined ? 'rule' : `rule "${id}"`}`
  throw new HubError('HUB_ERR_RULE_INVALID', formatIssues(prefix, result.error.issues), { details: { issues: result.error.issues } })
}

/** Compile a validated definition. SQL errors keep their line and column in `details`. */
export function compileRule(definition: RuleDefinition, origin: RuleSource, deps: ActionDeps, enabled = definition.enabled): CompiledRule {
  const where = `${describeSource(origin)}: rule "${definition.id}"`
  let query: CompiledQuery
  try {
    query = compileSql(definition.sql)
  } catch (error) {
    if (!isHubError(error)) throw error
    throw new HubError(error.code, `${where}: sql: ${error.message}`, { details: { rule: definition.id, ...(error.details as object | undefined) } })
  }
  const sourced = query.filters.length + query.events.length > 0
  if (definition.schedule !== undefined && sourced) {
    throw new HubError('HUB_ERR_RULE_INVALID', `${where}: a rule with a schedule runs on the clock; its SQL must have no FROM`)
  }
  if (definition.schedule === undefined && !sourced) {
    throw new HubError('HUB_ERR_RULE_INVALID', `${where}: sql: expected FROM with a topic filter or $events/... source (or a schedule for a rule that runs on the clock)`)
  }
  const actions = definition.actions.map((action, index) => createAction(action, `${where}: actions.${index}`, deps))
  const outputs = actions.flatMap((a) => a.publishesTo)
  if (definition.deadLetterTopic !== undefined) outputs.push(definition.deadLetterTopic)
  return { id: definition.id, definition, origin, enabled, query, actions, filters: query.filters, outputs }
}
