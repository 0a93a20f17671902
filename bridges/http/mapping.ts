/**
 * Pure translation between HTTP requests and the hub's message model (DESIGN.md §5): request in,
 * MessageInput out, and a Message back to JSON. No I/O here, so every rule is unit-tested on its own.
 */
import { HubError } from '../../src/errors.js'
import type { Message, MessageInput, MessageProperties, QoS } from '../../src/message.js'
import { checkTopicFilter, checkTopicName } from '../../src/topic/validate.js'
import { BASE64_PATTERN, type PublishRequest } from './api-schemas.js'

/** Limits a request is checked against (from the `http:` config). */
export interface PublishLimits {
  maxPayloadBytes: number
  maxTopicLevels: number
}

/** Decode standard padded base64, refusing anything else (Buffer.from would silently skip bad characters). */
export function decodeBase64Strict(text: string, field: string): Buffer {
  if (!BASE64_PATTERN.test(text)) throw new HubError('HUB_ERR_BAD_REQUEST', `${field}: not valid base64 (standard alphabet, padded, RFC 4648 §4)`, { details: { path: field } })
  return Buffer.from(text, 'base64')
}

/** A topic name for PUBLISH, or a HUB_ERR_TOPIC_INVALID naming the field. [MQTT-3.3.2-2] no wildcards */
export function assertTopicName(topic: string, maxLevels: number, field = 'topic'): void {
  const problem = checkTopicName(topic, maxLevels)
  if (problem !== undefined) throw new HubError('HUB_ERR_TOPIC_INVALID', `${field}: ${problem}`, { details: { path: field } })
}

/** A topic filter for a stream or a listing (wildcards allowed), or a HUB_ERR_FILTER_INVALID. */
export function assertTopicFilter(filter: string, maxLevels: number, field = 'filter'): void {
  const problem = checkTopicFilter(filter, maxLevels)
  if (problem !== undefined) throw new HubError('HUB_ERR_FILTER_INVALID', `${field}: ${problem}`, { details: { path: field } })
}

/** The payload bytes of a JSON publish request, by its `encoding`. */
export function encodePayload(request: Pick<PublishRequest, 'payload' | 'encoding'>): Buffer {
  const { payload } = request
  const encoding = request.encoding ?? (typeof payload === 'string' ? 'utf8' : 'json')
  if (encoding === 'json') return Buffer.from(JSON.stringify(payload))
  if (typeof payload !== 'string') throw new HubError('HUB_ERR_BAD_REQUEST', `payload: must be a string when encoding is "${encoding}"`, { details: { path: 'payload' } })
  return encoding === 'base64' ? decodeBase64Strict(payload, 'payload') : Buffer.from(payload, 'utf8')
}

/** Turn a validated `POST /api/v1/publish` body into a message for the hub. */
export function toMessageInput(request: PublishRequest, limits: PublishLimits): MessageInput {
  assertTopicName(request.topic, limits.maxTopicLevels)
  const payload = encodePayload(request)
  assertPayloadSize(payload.length, limits.maxPayloadBytes)
  const properties = request.properties === undefined ? {} : toMessageProperties(request.properties, limits)
  // A JSON payload without a stated content type is labelled, so MQTT 5 and CoAP receivers see it.
  if (request.encoding === 'json' || (request.encoding === undefined && typeof request.payload !== 'string')) properties.contentType ??= 'application/json'
  return { topic: request.topic, payload, qos: request.qos, retain: request.retain, properties }
}

function toMessageProperties(input: NonNullable<PublishRequest['properties']>, limits: PublishLimits): MessageProperties {
  const properties: MessageProperties = {}
  if (input.contentType !== undefined) properties.contentType = input.contentType
  if (input.messageExpiryInterval !== undefined) properties.messageExpiryInterval = input.messageExpiryInterval
  if (input.userProperties !== undefined) properties.userProperties = input.userProperties
  if (input.payloadFormatIndicator !== undefined) properties.payloadFormatIndicator = input.payloadFormatIndicator
  if (input.responseTopic !== undefined) {
    // [MQTT-3.3.2-14] The Response Topic MUST be a UTF-8 Encoded String without wildcards
    assertTopicName(input.responseTopic, limits.maxTopicLevels, 'properties.responseTopic')
    properties.responseTopic = input.responseTopic
  }
  if (input.correlationData !== undefined) properties.correlationData = decodeBase64Strict(input.correlationData, 'properties.correlationData')
  return properties
}

/** Turn a raw `POST /api/v1/topics/{topic}` into a message: the body is the payload, Content-Type the content type. */
export function rawToMessageInput(
  topic: string,
  body: Buffer,
  contentType: string | undefined,
  options: { qos: QoS; retain: boolean },
  limits: PublishLimits,
): MessageInput {
  assertTopicName(topic, limits.maxTopicLevels)
  assertPayloadSize(body.length, limits.maxPayloadBytes)
  const properties: MessageProperties = {}
  if (contentType !== undefined && contentType !== '') properties.contentType = contentType
  return { topic, payload: body, qos: options.qos, retain: options.retain, properties }
}

export function assertPayloadSize(bytes: number, max: number): void {
  if (bytes > max) throw new HubError('HUB_ERR_PAYLOAD_TOO_LARGE', `payload: ${bytes} bytes is more than the maximum of ${max}`, { details: { path: 'payload', max } })
}

/** A topic from the wildcard segments of `/api/v1/topics/*topic` (already percent-decoded, `/` between levels). */
export function topicFromSegments(segments: string | string[] | undefined): string {
  if (segments === undefined) return ''
  return typeof segments === 'string' ? segments : segments.join('/')
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The payload as text when it is valid UTF-8, else as base64, with the encoding that says which. */
export function viewPayload(payload: Buffer): { payload: string; encoding: 'utf8' | 'base64' } {
  try {
    return { payload: utf8.decode(payload), encoding: 'utf8' }
  } catch {
    return { payload: payload.toString('base64'), encoding: 'base64' }
  }
}

/** Message properties as JSON (binary correlation data in base64). */
export function viewProperties(properties: MessageProperties): Record<string, unknown> {
  const { correlationData, ...rest } = properties
  return correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') }
}

/** A message as the API shows it: retained listings and stream events. */
export function viewMessage(message: Message): Record<string, unknown> {
  return {
    id: message.id,
    topic: message.topic,
    ...viewPayload(message.payload),
    qos: message.qos,
    retain: message.retain,
    properties: viewProperties(message.properties),
    receivedAt: message.receivedAt,
  }
}

/** A strong entity tag for a retained message (RFC 9110 §8.8.3); the id changes with every publish. */
export function entityTag(message: Message): string {
  return `"${message.id}"`
}

/** Whether `If-None-Match` names the current representation (RFC 9110 §13.1.2; weak comparison). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const wanted = etag.replace(/^W\//, '')
  return header.split(',').some((candidate) => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === wanted
  })
}
