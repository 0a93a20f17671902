import type { ActionDefinition } from '../rule-schema.js'
import type { ActionDeps, RuleAction } from './action.js'
import { createCoapAction } from './coap.js'
import { createHttpAction } from './http.js'
import { createLogAction } from './log.js'
import { createRepublishAction } from './republish.js'

export type { ActionDeps, RuleAction, Trigger } from './action.js'

/** Compile one validated action definition; `where` names it in errors (`rule "a" actions[0]`). */
export function createAction(definition: ActionDefinition, where: string, deps: ActionDeps): RuleAction {
  if (definition.republish !== undefined) return createRepublishAction(definition.republish, `${where}.republish`, deps)
  if (definition.http !== undefined) return createHttpAction(definition.http, `${where}.http`, deps)
  if (definition.coap !== undefined) return createCoapAction(definition.coap, `${where}.coap`, deps)
  if (definition.log !== undefined) return createLogAction(definition.log, `${where}.log`, deps)
  // the schema lets exactly one kind through
  throw new Error(`${where}: no action kind`)
}
