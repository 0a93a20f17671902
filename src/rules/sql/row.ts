import type { HubEvents } from '../../hub-context.js'
import type { Message } from '../../message.js'
import type { Value } from './ast.js'
import { bytesValue, parseJson } from './values.js'

/**
 * The row a rule's SQL reads: the columns of a message, of a hub event, or of a schedule tick.
 * Column names follow EMQX (`clientid`, `proto_ver`, `peername`, `clean_start`).
 */
export interface Row {
  /** A column by its lower-case name; undefined when this kind of row has no such column. */
  column(name: string): Value
  /** The payload parsed as JSON, once per row; undefined when it is not JSON. */
  payloadJson(): Value
  /** Every column, for `SELECT *`. */
  all(): Record<string, Value>
}

/** Event sources a rule may name in FROM as `$events/<name>`. */
export const EVENT_SOURCES = ['client_connected', 'client_disconnected', 'session_subscribed', 'session_unsubscribed', 'message_dropped'] as const
export type EventSource = (typeof EVENT_SOURCES)[number]

/** Columns of message rows. */
export const MESSAGE_COLUMNS = ['event', 'id', 'topic', 'qos', 'retain', 'payload', 'clientid', 'username', 'protocol', 'timestamp', 'properties'] as const

/** Every column any row may have; a name outside this list (and the SELECT aliases) is a compile error. */
export const KNOWN_COLUMNS: ReadonlySet<string> = new Set<string>([
  ...MESSAGE_COLUMNS,
  'proto_ver', 'peername', 'keepalive', 'clean_start', 'reason',
])

/**
 * A message delivered to a rule, read lazily: the payload is decoded and parsed only if the SQL asks.
 * The payload column is text when the bytes are valid UTF-8 and the bytes themselves (a Buffer)
 * otherwise, so binary payloads pass through rules unchanged.
 */
export class MessageRow implements Row {
  private payload: string | Buffer | undefined
  private json: Value | null = null
  private parsed = false

  constructor(
    private readonly message: Message,
    private readonly extra: Record<string, Value> = {},
  ) {}

  column(name: string): Value {
    const m = this.message
    switch (name) {
      case 'event':
        return this.extra.event ?? 'message.publish'
      case 'id':
        return m.id
      case 'topic':
        return m.topic
      case 'qos':
        return m.qos
      case 'retain':
        return m.retain
      case 'payload':
        this.payload ??= bytesValue(m.payload)
        return this.payload
      case 'clientid':
        return m.origin.clientId ?? this.extra.clientid ?? null
      case 'username':
        return m.origin.username ?? null
      case 'protocol':
        return m.origin.protocol
      case 'timestamp':
        return m.receivedAt
      case 'properties':
        return propertiesOf(m)
      default:
        return this.extra[name]
    }
  }

  payloadJson(): Value {
    if (!this.parsed) {
      this.parsed = true
      // bytes that are not UTF-8 are not JSON either
      const payload = this.column('payload')
      this.json = typeof payload === 'string' ? (parseJson(payload) ?? null) : null
    }
    return this.json ?? undefined
  }

  all(): Record<string, Value> {
    const out: Record<string, Value> = {}
    for (const name of MESSAGE_COLUMNS) out[name] = this.column(name)
    for (const [name, value] of Object.entries(this.extra)) out[name] = value
    return out
  }
}

/** A row made of plain columns: hub events and schedule ticks. */
export class RecordRow implements Row {
  private json: Value | null = null
  private parsed = false

  constructor(private readonly columns: Record<string, Value>) {}

  column(name: string): Value {
    return Object.hasOwn(this.columns, name) ? this.columns[name] : undefined
  }

  payloadJson(): Value {
    if (!this.parsed) {
      this.parsed = true
      const payload = this.columns.payload
      this.json = typeof payload === 'string' ? (parseJson(payload) ?? null) : null
    }
    return this.json ?? undefined
  }

  all(): Record<string, Value> {
    return { ...this.columns }
  }
}

/** The row for a hub event (`$events/<name>` sources). */
export function createEventRow<E extends EventSource>(name: E, data: HubEvents[E][0], now = Date.now()): Row {
  const base = { event: name, timestamp: now }
  switch (name) {
    case 'client_connected': {
      const e = data as HubEvents['client_connected'][0]
      return new RecordRow({ ...base, clientid: e.clientId, username: e.username ?? null, protocol: e.protocol, proto_ver: e.protocolVersion, peername: e.remoteAddress ?? null, keepalive: e.keepAlive, clean_start: e.cleanStart })
    }
    case 'client_disconnected': {
      const e = data as HubEvents['client_disconnected'][0]
      return new RecordRow({ ...base, clientid: e.clientId, username: e.username ?? null, reason: e.reason })
    }
    case 'session_subscribed': {
      const e = data as HubEvents['session_subscribed'][0]
      return new RecordRow({ ...base, clientid: e.clientId, username: e.username ?? null, topic: e.filter, qos: e.qos })
    }
    case 'session_unsubscribed': {
      const e = data as HubEvents['session_unsubscribed'][0]
      return new RecordRow({ ...base, clientid: e.clientId, username: e.username ?? null, topic: e.filter })
    }
    default: {
      const e = data as HubEvents['message_dropped'][0]
      return new MessageRow(e.message, { event: name, reason: e.reason, ...(e.clientId === undefined ? {} : { clientid: e.clientId }) })
    }
  }
}

/** The row of a schedule tick: no message, only the time. */
export function createScheduleRow(now = Date.now()): Row {
  return new RecordRow({ event: 'schedule', timestamp: now })
}

function propertiesOf(m: Message): Value {
  const p = m.properties
  const out: Record<string, Value> = {}
  if (p.contentType !== undefined) out.contentType = p.contentType
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic
  if (p.correlationData !== undefined) out.correlationData = bytesValue(p.correlationData)
  if (p.userProperties !== undefined) out.userProperties = { ...p.userProperties }
  return out
}
