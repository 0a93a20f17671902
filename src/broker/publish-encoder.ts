import type { MessageProperties } from '../message.js'

/** The fields of one outgoing PUBLISH (MQTT 5.0 §3.3). */
export interface OutgoingPublish {
  topic: string
  payload: Buffer
  qos: 0 | 1 | 2
  retain: boolean
  dup: boolean
  /** Written as 0 when undefined: {@link setPacketId} patches it into a copy later. */
  messageId?: number
  /** MQTT 5 only; undefined writes a 3.1.1 PUBLISH. */
  v5?: {
    properties: MessageProperties
    /** Seconds of expiry left, replacing the message's own interval [MQTT-3.3.2-6]. */
    messageExpiryInterval?: number
    topicAlias?: number
    subscriptionIds?: readonly number[]
  }
}

/** An encoded PUBLISH and where its packet identifier sits (-1 for QoS 0). */
export interface EncodedPublish {
  bytes: Buffer
  packetIdOffset: number
}

const PROP_PAYLOAD_FORMAT = 0x01
const PROP_MESSAGE_EXPIRY = 0x02
const PROP_CONTENT_TYPE = 0x03
const PROP_RESPONSE_TOPIC = 0x08
const PROP_CORRELATION_DATA = 0x09
const PROP_SUBSCRIPTION_ID = 0x0b
const PROP_TOPIC_ALIAS = 0x23
const PROP_USER_PROPERTY = 0x26

function varIntLength(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4
}

function writeVarInt(buf: Buffer, pos: number, n: number): number {
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    buf[pos++] = byte
  } while (n > 0)
  return pos
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const length = buf.write(s, pos + 2)
  buf.writeUInt16BE(length, pos)
  return pos + 2 + length
}

/** Bytes of the MQTT 5 property block, without its length prefix. */
function propertiesLength(p: NonNullable<OutgoingPublish['v5']>): number {
  const m = p.properties
  let n = 0
  if (m.payloadFormatIndicator !== undefined) n += 2
  if (p.messageExpiryInterval !== undefined) n += 5
  if (p.topicAlias !== undefined) n += 3
  if (m.responseTopic !== undefined) n += 3 + Buffer.byteLength(m.responseTopic)
  if (m.correlationData !== undefined) n += 3 + m.correlationData.length
  if (m.userProperties !== undefined) {
    for (const [key, value] of Object.entries(m.userProperties)) {
      const keyLength = 5 + Buffer.byteLength(key)
      if (Array.isArray(value)) for (const v of value) n += keyLength + Buffer.byteLength(v)
      else n += keyLength + Buffer.byteLength(value as string)
    }
  }
  if (p.subscriptionIds !== undefined) for (const id of p.subscriptionIds) n += 1 + varIntLength(id)
  if (m.contentType !== undefined) n += 3 + Buffer.byteLength(m.contentType)
  return n
}

function writeProperties(buf: Buffer, pos: number, p: NonNullable<OutgoingPublish['v5']>): number {
  const m = p.properties
  if (m.payloadFormatIndicator !== undefined) {
    buf[pos++] = PROP_PAYLOAD_FORMAT
    buf[pos++] = m.payloadFormatIndicator ? 1 : 0
  }
  if (p.messageExpiryInterval !== undefined) {
    buf[pos++] = PROP_MESSAGE_EXPIRY
    pos = buf.writeUInt32BE(p.messageExpiryInterval, pos)
  }
  if (p.topicAlias !== undefined) {
    buf[pos++] = PROP_TOPIC_ALIAS
    pos = buf.writeUInt16BE(p.topicAlias, pos)
  }
  if (m.responseTopic !== undefined) {
    buf[pos++] = PROP_RESPONSE_TOPIC
    pos = writeString(buf, pos, m.responseTopic)
  }
  if (m.correlationData !== undefined) {
    buf[pos++] = PROP_CORRELATION_DATA
    pos = buf.writeUInt16BE(m.correlationData.length, pos)
    pos += m.correlationData.copy(buf, pos)
  }
  if (m.userProperties !== undefined) {
    for (const [key, value] of Object.entries(m.userProperties)) {
      for (const v of Array.isArray(value) ? value : [value as string]) {
        buf[pos++] = PROP_USER_PROPERTY
        pos = writeString(buf, pos, key)
        pos = writeString(buf, pos, v)
      }
    }
  }
  if (p.subscriptionIds !== undefined) {
    for (const id of p.subscriptionIds) {
      buf[pos++] = PROP_SUBSCRIPTION_ID
      pos = writeVarInt(buf, pos, id)
    }
  }
  if (m.contentType !== undefined) {
    buf[pos++] = PROP_CONTENT_TYPE
    pos = writeString(buf, pos, m.contentType)
  }
  return pos
}

/**
 * Encode a PUBLISH in one allocation. The hub encodes each message once per outgoing form and writes
 * the same bytes to every subscriber of that form; test/unit/broker/publish-encoder.test.ts checks the
 * bytes against mqtt-packet's generate().
 */
export function encodePublish(p: OutgoingPublish): EncodedPublish {
  const topicLength = Buffer.byteLength(p.topic)
  const propsLength = p.v5 === undefined ? -1 : propertiesLength(p.v5)
  const remaining =
    2 + topicLength + (p.qos > 0 ? 2 : 0) + (propsLength < 0 ? 0 : varIntLength(propsLength) + propsLength) + p.payload.length
  const bytes = Buffer.allocUnsafe(1 + varIntLength(remaining) + remaining)
  bytes[0] = 0x30 | (p.dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0)
  let pos = writeVarInt(bytes, 1, remaining)
  pos = writeString(bytes, pos, p.topic)
  let packetIdOffset = -1
  if (p.qos > 0) {
    packetIdOffset = pos
    pos = bytes.writeUInt16BE(p.messageId ?? 0, pos)
  }
  if (p.v5 !== undefined) {
    pos = writeVarInt(bytes, pos, propsLength)
    pos = writeProperties(bytes, pos, p.v5)
  }
  p.payload.copy(bytes, pos)
  return { bytes, packetIdOffset }
}

/** A copy of an encoded QoS 1/2 PUBLISH with its packet identifier (and DUP flag) set. */
export function withPacketId(encoded: EncodedPublish, packetId: number, dup: boolean): Buffer {
  const copy = Buffer.allocUnsafe(encoded.bytes.length)
  encoded.bytes.copy(copy)
  copy.writeUInt16BE(packetId, encoded.packetIdOffset)
  if (dup) copy[0] = (copy[0] as number) | 8
  return copy
}
