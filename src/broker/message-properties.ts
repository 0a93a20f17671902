import type { MessageProperties } from '../message.js'

/** The property fields a PUBLISH and a CONNECT will share, as mqtt-packet parses them. */
interface PacketProperties {
  payloadFormatIndicator?: boolean
  messageExpiryInterval?: number
  contentType?: string
  responseTopic?: string
  correlationData?: Buffer
  userProperties?: Record<string, string | string[]>
}

/**
 * The properties that travel with a message (of a PUBLISH or a will); Topic Alias, Subscription
 * Identifier and Will Delay Interval do not.
 */
export function toMessageProperties(p: PacketProperties): MessageProperties {
  const out: MessageProperties = {}
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval
  if (p.contentType !== undefined) out.contentType = p.contentType
  // Request/response properties pass through unchanged [MQTT-3.3.2-15, MQTT-3.3.2-16]
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic
  if (p.correlationData !== undefined) out.correlationData = p.correlationData
  // [MQTT-3.3.2-17] user properties are forwarded unaltered
  if (p.userProperties !== undefined) out.userProperties = p.userProperties
  return out
}
