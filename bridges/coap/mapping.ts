/**
 * Pure translation of a CoAP request into what the hub should do (EMQX `emqx_coap_pubsub_handler`
 * shape): request in, `{ action, topic, qos, retain, ... }` out, or the CoAP error to answer.
 */
import { isHubError } from '../../src/errors.js'
import type { MessageProperties, QoS } from '../../src/message.js'
import { checkTopicFilter, checkTopicName, isWildcardFilter } from '../../src/topic/validate.js'
import { contentTypeOf } from './content-format.js'
import type { MappedResource } from './resources.js'

export type CoapMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** What the bridge needs to know about a request, already decoded from its options. */
export interface RequestFacts {
  /** Method code (`0.01`...) as on the wire. */
  code: string
  confirmable: boolean
  /** Uri-Path option values, in order. */
  path: readonly string[]
  /** Uri-Query option values, in order. */
  query: readonly string[]
  /** Observe option value, when present. */
  observe?: number
  contentFormat?: number
  maxAge?: number
}

export interface Credentials {
  username?: string
  password?: Buffer
  token?: string
}

export type CoapAction =
  | { action: 'publish'; topic: string; qos: QoS; retain: boolean; properties: MessageProperties }
  | { action: 'read'; topic: string }
  | { action: 'observe'; filter: string; wildcard: boolean }
  | { action: 'unobserve'; filter: string }
  | { action: 'clear'; topic: string }
  | { action: 'discover'; query: readonly string[] }

/** A CoAP response code (`4.00`) and a diagnostic payload (RFC 7252 §5.5.2). */
export interface CoapFailure {
  code: string
  message: string
}

export type MappingResult = ({ ok: true; credentials: Credentials } & CoapAction) | ({ ok: false } & CoapFailure)

const METHODS: Record<string, CoapMethod> = { '0.01': 'GET', '0.02': 'POST', '0.03': 'PUT', '0.04': 'DELETE' }

/** Map one request to its action. `resources` are the configured mappings, tried after `ps`. */
export function mapRequest(request: RequestFacts, resources: readonly MappedResource[]): MappingResult {
  const method = METHODS[request.code]
  if (method === undefined) return fail('4.05', `method ${request.code} is not allowed`)
  const query = parseQuery(request.query)
  if ('code' in query) return { ok: false, ...query }

  const [first, ...rest] = request.path
  if (first === '.well-known' && rest.length === 1 && rest[0] === 'core') {
    return method === 'GET' ? { ok: true, credentials: query.credentials, action: 'discover', query: request.query } : fail('4.05', 'only GET is allowed on /.well-known/core')
  }
  const decoded = decodeSegments(request.path)
  if (decoded === undefined) return fail('4.00', 'Uri-Path has a malformed percent-encoding')
  let topic: string
  if (first === 'ps') {
    if (decoded.length < 2) return fail('4.00', 'missing topic: use /ps/{topic}')
    topic = decoded.slice(1).join('/')
  } else {
    const mapped = findMapping(decoded, resources)
    if (mapped === undefined) return fail('4.04', `no resource at /${request.path.join('/')}`)
    topic = mapped
  }
  return mapTopicAction(method, topic, request, query)
}

function mapTopicAction(method: CoapMethod, topic: string, request: RequestFacts, query: ParsedQuery): MappingResult {
  const { credentials } = query
  if (method === 'GET' && (request.observe === 0 || request.observe === 1)) {
    const problem = checkTopicFilter(topic)
    if (problem !== undefined) return fail('4.00', problem)
    // RFC 7641 §2: Observe 0 registers, 1 deregisters
    if (request.observe === 1) return { ok: true, credentials, action: 'unobserve', filter: topic }
    return { ok: true, credentials, action: 'observe', filter: topic, wildcard: isWildcardFilter(topic) }
  }
  const problem = checkTopicName(topic)
  if (problem !== undefined) return fail('4.00', problem)
  if (method === 'GET') return { ok: true, credentials, action: 'read', topic }
  if (method === 'DELETE') return { ok: true, credentials, action: 'clear', topic }
  const properties: MessageProperties = {}
  if (request.contentFormat !== undefined) {
    const contentType = contentTypeOf(request.contentFormat)
    if (contentType !== undefined) properties.contentType = contentType
  }
  // Max-Age on a request is the message's lifetime: MQTT 5 Message Expiry Interval (DESIGN.md §6)
  if (request.maxAge !== undefined) properties.messageExpiryInterval = request.maxAge
  // A CON request asks for reliability, so QoS 1 unless the query says otherwise; NON is fire-and-forget
  const qos = query.qos ?? (request.confirmable ? 1 : 0)
  return { ok: true, credentials, action: 'publish', topic, qos, retain: query.retain ?? false, properties }
}

interface ParsedQuery {
  credentials: Credentials
  qos?: QoS
  retain?: boolean
}

/** Read `qos`, `retain`, `u`, `p` and `token`; other parameters are ignored (e.g. RFC 6690 filters). */
export function parseQuery(query: readonly string[]): ParsedQuery | CoapFailure {
  const parsed: ParsedQuery = { credentials: {} }
  for (const item of query) {
    const eq = item.indexOf('=')
    const name = eq < 0 ? item : item.slice(0, eq)
    const raw = eq < 0 ? '' : item.slice(eq + 1)
    const value = percentDecode(raw)
    if (value === undefined) return { code: '4.00', message: `query parameter ${name} has a malformed percent-encoding` }
    switch (name) {
      case 'qos':
        if (value !== '0' && value !== '1' && value !== '2') return { code: '4.00', message: `qos must be 0, 1 or 2, got "${value}"` }
        parsed.qos = Number(value) as QoS
        break
      case 'retain':
        if (!['true', 'false', '1', '0', ''].includes(value)) return { code: '4.00', message: `retain must be true or false, got "${value}"` }
        parsed.retain = value === 'true' || value === '1' || value === ''
        break
      case 'u':
        parsed.credentials.username = value
        break
      case 'p':
        parsed.credentials.password = Buffer.from(value, 'utf8')
        break
      case 'token':
        parsed.credentials.token = value
        break
    }
  }
  return parsed
}

function findMapping(segments: readonly string[], resources: readonly MappedResource[]): string | undefined {
  for (const resource of resources) {
    const captures = resource.match(segments)
    if (captures !== undefined) return resource.topicFor(captures)
  }
  return undefined
}

/**
 * Uri-Path values are sent decoded (RFC 7252 §6.4), but many clients pass `%2B`/`%23` through, so
 * each segment is percent-decoded once more: `+` and `#` work encoded or not.
 */
function decodeSegments(segments: readonly string[]): string[] | undefined {
  const out: string[] = []
  for (const segment of segments) {
    const decoded = percentDecode(segment)
    if (decoded === undefined) return undefined
    out.push(decoded)
  }
  return out
}

function percentDecode(text: string): string | undefined {
  if (!text.includes('%')) return text
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

function fail(code: string, message: string): { ok: false } & CoapFailure {
  return { ok: false, code, message }
}

/** The CoAP response code for an error from the kernel (one table, as mosquitto's read_handle.c). */
export function coapCodeOf(error: unknown): string {
  if (!isHubError(error)) return '5.00'
  switch (error.code) {
    case 'HUB_ERR_TOPIC_INVALID':
    case 'HUB_ERR_FILTER_INVALID':
    case 'HUB_ERR_QOS_INVALID':
    case 'HUB_ERR_BAD_REQUEST':
    case 'HUB_ERR_HOP_LIMIT':
      return '4.00'
    case 'HUB_ERR_BAD_CREDENTIALS':
      return '4.01'
    case 'HUB_ERR_NOT_AUTHORIZED':
      return '4.03'
    case 'HUB_ERR_NOT_FOUND':
      return '4.04'
    case 'HUB_ERR_PAYLOAD_TOO_LARGE':
      return '4.13'
    case 'HUB_ERR_QUOTA_EXCEEDED':
      return '4.29' // RFC 8516 Too Many Requests
    case 'HUB_ERR_METHOD_NOT_ALLOWED':
      return '4.05'
    case 'HUB_ERR_SHUTTING_DOWN':
    case 'HUB_ERR_UNAVAILABLE':
      return '5.03'
    default:
      return '5.00'
  }
}
