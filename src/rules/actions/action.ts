import type { Identity } from '../../hooks.js'
import type { HubContext } from '../../hub-context.js'
import type { Logger } from '../../log.js'
import type { Message } from '../../message.js'
import type { Value } from '../sql/ast.js'
import { toJson, toJsonValue } from '../sql/values.js'

/** What actions may use of the kernel: publishing, the ACL, named services, the log. */
export interface ActionDeps {
  publish: HubContext['publish']
  authorizePublish: (identity: Identity, topic: string) => boolean | Promise<boolean>
  services: HubContext['services']
  log: Logger
  /** Aborted when the engine stops: back-off waits and requests in flight end early. */
  signal: AbortSignal
  /** Counts each retry of an action, per rule (the retries metric). */
  onRetry: (ruleId: string) => void
}

/** Why a rule ran: the message or event behind it (absent for schedule ticks) and its hop count. */
export interface Trigger {
  ruleId: string
  /** Rule republishes the triggering message went through; a republish carries hops + 1. */
  hops: number
  message?: Message
}

/** One compiled action of a rule. `run` rejects with an Error saying what went wrong. */
export interface RuleAction {
  readonly kind: 'republish' | 'http' | 'coap' | 'log'
  /** Topic templates this action publishes to, for the load-time loop check. */
  readonly publishesTo: readonly string[]
  run(fields: Record<string, Value>, trigger: Trigger): Promise<void>
}

/** The default payload of every action: the selected fields as JSON (binary data as base64 strings). */
export function encodeFields(fields: Record<string, Value>): string {
  return toJson(fields)
}

/** The selected fields with binary data as base64 strings, for logs and other JSON writers. */
export function jsonFields(fields: Record<string, Value>): Record<string, Value> {
  return toJsonValue(fields) as Record<string, Value>
}
