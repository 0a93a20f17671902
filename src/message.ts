/**
 * The one message model every protocol shares (DESIGN.md §1). An MQTT PUBLISH, an HTTP POST, a CoAP
 * PUT and a rule's republish all become a {@link Message} before they reach the kernel.
 */

export type Protocol = 'mqtt' | 'http' | 'coap' | 'rule' | 'system'
export type QoS = 0 | 1 | 2

/** Who sent a message. `hops` counts rule republishes, so a loop that slips past load-time checks stops. */
export interface Origin {
  protocol: Protocol
  clientId?: string
  username?: string
  ruleId?: string
  hops?: number
}

/** The MQTT 5 PUBLISH properties that travel with a message across every protocol. */
export interface MessageProperties {
  payloadFormatIndicator?: boolean
  messageExpiryInterval?: number
  contentType?: string
  responseTopic?: string
  correlationData?: Buffer
  userProperties?: Record<string, string | string[]>
}

export interface Message {
  id: string
  topic: string
  payload: Buffer
  qos: QoS
  retain: boolean
  properties: MessageProperties
  origin: Origin
  /** Wall-clock milliseconds when the hub received the message. */
  receivedAt: number
  /** Wall-clock milliseconds after which the message must not be delivered (message expiry). */
  expiresAt?: number
}

/** The fields a caller supplies; the hub fills in `id`, `receivedAt` and `expiresAt`. */
export interface MessageInput {
  topic: string
  payload: Buffer
  qos?: QoS
  retain?: boolean
  properties?: MessageProperties
}

let sequence = 0
const idPrefix = `${Date.now().toString(36)}-${process.pid.toString(36)}-`

/** A process-unique, sortable message id; cheap enough for the hot path. */
export function nextMessageId(): string {
  return idPrefix + (++sequence).toString(36)
}

/** Build a complete {@link Message} from what a protocol edge received. */
export function createMessage(input: MessageInput, origin: Origin, now = Date.now()): Message {
  const properties = input.properties ?? {}
  const expiry = properties.messageExpiryInterval
  const message: Message = {
    id: nextMessageId(),
    topic: input.topic,
    payload: input.payload,
    qos: input.qos ?? 0,
    retain: input.retain ?? false,
    properties,
    origin,
    receivedAt: now,
  }
  if (expiry !== undefined) message.expiresAt = now + expiry * 1000
  return message
}

/** Seconds of message expiry left, rounded up, or undefined when the message never expires. [MQTT-3.3.2-6] */
export function remainingExpirySeconds(message: Message, now = Date.now()): number | undefined {
  if (message.expiresAt === undefined) return undefined
  return Math.max(0, Math.ceil((message.expiresAt - now) / 1000))
}

export function isExpired(message: Message, now = Date.now()): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now
}
