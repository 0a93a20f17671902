import type { Message, MessageProperties, Origin, QoS } from '../../message.js'

/** A message as the shared message columns hold it (schema.ts). */
export interface MessageRow {
  message_id: string
  topic: string
  payload: Buffer
  qos: number
  retain: number
  properties: string | null
  origin: string
  received_at: number
  expires_at: number | null
}

/** Column list for INSERT and SELECT statements over the message columns. */
export const MESSAGE_COLUMN_NAMES = 'message_id, topic, payload, qos, retain, properties, origin, received_at, expires_at'
/** Positional parameters matching {@link MESSAGE_COLUMN_NAMES} (positional binding is the cheaper kind). */
export const MESSAGE_PARAMS = '?, ?, ?, ?, ?, ?, ?, ?, ?'

/**
 * Append a message's column values in {@link MESSAGE_COLUMN_NAMES} order to `values` (one array per
 * row on the hot path); `correlationData` travels as base64 inside the JSON.
 */
export function pushMessageValues(values: unknown[], message: Message): unknown[] {
  values.push(
    message.id,
    message.topic,
    message.payload,
    message.qos,
    message.retain ? 1 : 0,
    encodeProperties(message.properties),
    JSON.stringify(message.origin),
    message.receivedAt,
    message.expiresAt ?? null,
  )
  return values
}

/** The message a row holds, field for field as it was stored. */
export function fromMessageRow(row: MessageRow): Message {
  const message: Message = {
    id: row.message_id,
    topic: row.topic,
    payload: row.payload,
    qos: row.qos as QoS,
    retain: row.retain === 1,
    properties: decodeProperties(row.properties),
    origin: JSON.parse(row.origin) as Origin,
    receivedAt: row.received_at,
  }
  if (row.expires_at !== null) message.expiresAt = row.expires_at
  return message
}

function encodeProperties(properties: MessageProperties): string | null {
  if (Object.keys(properties).length === 0) return null
  const { correlationData, ...rest } = properties
  return JSON.stringify(correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') })
}

function decodeProperties(text: string | null): MessageProperties {
  if (text === null) return {}
  const parsed = JSON.parse(text) as Omit<MessageProperties, 'correlationData'> & { correlationData?: string }
  const { correlationData, ...rest } = parsed
  return correlationData === undefined ? rest : { ...rest, correlationData: Buffer.from(correlationData, 'base64') }
}
