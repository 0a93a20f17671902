import { HubError } from '../../errors.js'
import type { MessageProperties } from '../../message.js'
import { checkTopicName } from '../../topic/validate.js'
import type { RepublishAction } from '../rule-schema.js'
import { encodeFields, type ActionDeps, type RuleAction } from './action.js'
import { compileBytesTemplate, compileTemplate, type Template } from './template.js'

/**
 * Publish the selected fields back into the hub (EMQX `republish`). The message carries
 * origin { protocol: 'rule', ruleId, hops + 1 }, so the kernel's hop limit stops any loop that the
 * load-time check could not see, and it passes the same publish ACL as any client (DESIGN.md §4).
 */
export function createRepublishAction(definition: RepublishAction, where: string, deps: ActionDeps): RuleAction {
  const topic = compileTemplate(definition.topic, `${where}.topic`)
  // the payload is bytes: `${payload}` passes a binary payload on unchanged
  const payload = definition.payload === undefined ? undefined : compileBytesTemplate(definition.payload, `${where}.payload`)
  const properties = compileProperties(definition.properties, where)
  return {
    kind: 'republish',
    publishesTo: [definition.topic],
    async run(fields, trigger) {
      const target = topic(fields)
      const problem = checkTopicName(target)
      if (problem !== undefined) throw new HubError('HUB_ERR_TOPIC_INVALID', `republish topic ${JSON.stringify(target)} is not valid: ${problem}`)
      const identity = { protocol: 'rule' as const, clientId: `rule:${trigger.ruleId}`, roles: [] }
      if (!(await deps.authorizePublish(identity, target))) {
        throw new HubError('HUB_ERR_NOT_AUTHORIZED', `rule ${trigger.ruleId} is not allowed to publish to ${target}`)
      }
      await deps.publish(
        {
          topic: target,
          payload: payload === undefined ? Buffer.from(encodeFields(fields), 'utf8') : payload(fields),
          qos: definition.qos,
          retain: definition.retain,
          properties: properties(fields),
        },
        { protocol: 'rule', ruleId: trigger.ruleId, hops: trigger.hops + 1 },
      )
    },
  }
}

function compileProperties(definition: RepublishAction['properties'], where: string): (fields: Parameters<Template>[0]) => MessageProperties {
  if (definition === undefined) return () => ({})
  const optional = (text: string | undefined, key: string) => (text === undefined ? undefined : compileTemplate(text, `${where}.properties.${key}`))
  const contentType = optional(definition.contentType, 'contentType')
  const responseTopic = optional(definition.responseTopic, 'responseTopic')
  // correlation data is binary in MQTT 5 (§3.3.2.3.6), so it renders as bytes like a payload
  const correlationData = definition.correlationData === undefined ? undefined : compileBytesTemplate(definition.correlationData, `${where}.properties.correlationData`)
  const userProperties = Object.entries(definition.userProperties ?? {}).map(([name, value]) => [name, compileTemplate(value, `${where}.properties.userProperties.${name}`)] as const)
  return (fields) => {
    const out: MessageProperties = {}
    if (contentType !== undefined) out.contentType = contentType(fields)
    if (definition.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = definition.payloadFormatIndicator
    if (definition.messageExpiryInterval !== undefined) out.messageExpiryInterval = definition.messageExpiryInterval
    if (responseTopic !== undefined) out.responseTopic = responseTopic(fields)
    if (correlationData !== undefined) out.correlationData = correlationData(fields)
    if (userProperties.length > 0) out.userProperties = Object.fromEntries(userProperties.map(([name, render]) => [name, render(fields)]))
    return out
  }
}
