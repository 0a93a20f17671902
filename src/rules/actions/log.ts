import type { LogAction } from '../rule-schema.js'
import { encodeFields, jsonFields, type ActionDeps, type RuleAction } from './action.js'
import { compileTemplate } from './template.js'

/** Write the selected fields (or a message template) to the hub's structured log. */
export function createLogAction(definition: LogAction, where: string, deps: ActionDeps): RuleAction {
  const message = definition.message === undefined ? undefined : compileTemplate(definition.message, `${where}.message`)
  return {
    kind: 'log',
    publishesTo: [],
    async run(fields, trigger) {
      deps.log[definition.level]({ rule: trigger.ruleId, fields: jsonFields(fields) }, message === undefined ? encodeFields(fields) : message(fields))
    },
  }
}
