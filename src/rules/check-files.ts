import { HubError, isHubError } from '../errors.js'
import { assertNoRuleLoop, type LoopNode } from './loop-check.js'
import { readRuleFile, resolveRuleFiles } from './rule-files.js'
import type { RuleDefinition } from './rule-schema.js'
import type { RulesConfig } from './schema.js'
import { compileSql } from './sql/compiler.js'

/**
 * Check the rule files a config names without starting anything (`junction check-config`): each file's
 * shape, every rule's SQL, unique ids across files, and loops among the enabled rules. Throws the
 * first problem as a HubError naming file, rule and key; returns how many rules were checked.
 */
export function checkRuleFiles(config: RulesConfig, configDir: string): number {
  if (!config.enabled) return 0
  const owners = new Map<string, string>()
  const nodes: LoopNode[] = []
  for (const file of resolveRuleFiles(config.files, configDir)) {
    for (const rule of readRuleFile(file)) {
      const other = owners.get(rule.id)
      if (other !== undefined) throw new HubError('HUB_ERR_RULE_INVALID', `${file}: rule "${rule.id}": id: the id is already used by a rule from ${other}`)
      owners.set(rule.id, file)
      try {
        compileSql(rule.sql)
      } catch (error) {
        if (!isHubError(error)) throw error
        throw new HubError(error.code, `${file}: rule "${rule.id}": sql: ${error.message}`, { details: error.details })
      }
      if (rule.enabled) nodes.push(toLoopNode(rule))
    }
  }
  assertNoRuleLoop(nodes)
  return owners.size
}

/** The loop-check view of a rule straight from its definition; a rule whose SQL is wrong has no sources. */
export function toLoopNode(rule: RuleDefinition): LoopNode {
  let filters: readonly string[] = []
  try {
    filters = compileSql(rule.sql).filters
  } catch (error) {
    if (!isHubError(error)) throw error
  }
  const outputs = rule.actions.flatMap((a) => (a.republish === undefined ? [] : [a.republish.topic]))
  if (rule.deadLetterTopic !== undefined) outputs.push(rule.deadLetterTopic)
  return { id: rule.id, filters, outputs }
}
