import { isUtf8 } from 'node:buffer'
import type { Message } from '../message.js'
import type { Value } from './sql/ast.js'
import { toJsonValue } from './sql/values.js'

/** The action that failed, when an action failed rather than the SQL. */
export interface FailedAction {
  index: number
  kind: string
  fields: Record<string, Value>
}

/**
 * The JSON a rule's dead-letter topic receives for one failure: the rule, the error, the failed action
 * with the fields it was given (binary data as base64 strings), and the original message (null for
 * schedule ticks and most events).
 */
export function encodeDeadLetter(ruleId: string, error: string, original: Message | undefined, action: FailedAction | undefined): Buffer {
  const letter = {
    rule: ruleId,
    error,
    ...(action === undefined ? {} : { action: { index: action.index, kind: action.kind }, fields: toJsonValue(action.fields) }),
    message: original === undefined ? null : describeMessage(original),
    timestamp: Date.now(),
  }
  return Buffer.from(JSON.stringify(letter), 'utf8')
}

/** The original message: a UTF-8 payload as text, anything else as base64. */
function describeMessage(message: Message): Record<string, unknown> {
  const isText = isUtf8(message.payload)
  return {
    id: message.id,
    topic: message.topic,
    qos: message.qos,
    retain: message.retain,
    payload: message.payload.toString(isText ? 'utf8' : 'base64'),
    encoding: isText ? 'utf8' : 'base64',
    protocol: message.origin.protocol,
    ...(message.origin.clientId === undefined ? {} : { clientid: message.origin.clientId }),
    timestamp: message.receivedAt,
  }
}
