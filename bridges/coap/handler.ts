/**
 * CoAP requests to hub actions: option checks, Block1/Block2, mapping (mapping.ts), identity
 * (auth.ts), then publish, read, clear, observe or discover through the kernel API.
 */
import type { HubContext, Identity } from '../../src/hub-context.js'
import { isExpired } from '../../src/message.js'
import { isWildcardFilter } from '../../src/topic/validate.js'
import { authenticateRequest, authorizePublish, authorizeSubscribe } from './auth.js'
import type { Block1Assembler } from './block1.js'
import { blockOptions, etagOf, sliceBlock, type Block2Cache, type Representation } from './block2.js'
import { coapCodeOf, mapRequest, type CoapAction, type RequestFacts } from './mapping.js'
import { type ObserveRegistry, representationOptions } from './observe.js'
import { decodeBlock, decodeUint, encodeBlock, encodeUint, findOption, findUnrecognizedCritical, OPTION, optionValues, type BlockOption, type RawOption } from './options.js'
import { renderLinkFormat, type MappedResource } from './resources.js'
import type { InboundRequest, OutboundResponse, RequestHandler, RequestReply } from './server.js'

export interface HandlerDeps {
  ctx: HubContext
  resources: readonly MappedResource[]
  observers: ObserveRegistry
  block1: Block1Assembler
  block2: Block2Cache
  blockSize: number
  maxPayloadSize: number
}

/** What one request carries once its options are decoded. */
interface Exchange {
  request: InboundRequest
  uriKey: string
  /** Block2 the client asked for, if any. */
  block2?: BlockOption
  accept?: number
}

/** Build the request handler the endpoints call for every (deduplicated) request. */
export function createRequestHandler(deps: HandlerDeps): RequestHandler {
  return (request) => handleRequest(deps, request)
}

function handleRequest(deps: HandlerDeps, request: InboundRequest): RequestReply | Promise<RequestReply> {
  deps.ctx.stats.requests.coap++
  const { packet, peer } = request
  const rejected = checkOptions(packet.options, packet.confirmable)
  if (rejected !== undefined) return rejected
  const path = decodeStrings(optionValues(packet.options, OPTION.UriPath))
  const query = decodeStrings(optionValues(packet.options, OPTION.UriQuery))
  if (path === undefined || query === undefined) return failure('4.00', 'Uri-Path and Uri-Query must be UTF-8') // RFC 7252 §5.10.1
  const exchange: Exchange = { request, uriKey: path.join('/') }
  const block2Value = findOption(packet.options, OPTION.Block2)
  if (block2Value !== undefined) {
    const block2 = decodeBlock(block2Value)
    if (block2 === undefined) return failure('4.00', 'malformed Block2 option')
    exchange.block2 = block2
    const cached = serveCachedBlock(deps, exchange)
    if (cached !== undefined) return cached
  }
  const accept = findOption(packet.options, OPTION.Accept)
  if (accept !== undefined) exchange.accept = decodeUint(accept)

  // Mapped before the body is read, so that a Block1 upload to a bad URI fails on its first block
  const mapped = mapRequest(requestFacts(request, path, query), deps.resources)
  if (!mapped.ok) return failure(mapped.code, mapped.message)
  if (mapped.action === 'discover') return discover(deps, exchange, mapped.query)
  const body = readBody(deps, exchange, query)
  if ('code' in body) return body
  return authenticateRequest(deps.ctx.hooks, mapped.credentials, peer.address).then(async (identity) => {
    if ('code' in identity) return failure(identity.code, identity.message)
    try {
      const reply = await perform(deps, exchange, mapped, identity, body.payload)
      // RFC 7959 §2.3: the response to the last block of an upload carries its Block1 (M=0)
      if (body.block1 !== undefined) reply.options = [...(reply.options ?? []), { name: OPTION.Block1, value: encodeBlock(body.block1) }]
      return reply
    } catch (error) {
      const code = coapCodeOf(error)
      if (code !== '5.00') return failure(code, error instanceof Error ? error.message : 'request failed')
      // Unexpected failures are logged; the client learns only that it was not its fault
      deps.ctx.log.error({ err: error, peer: peer.key }, 'coap request failed')
      return failure(code, 'internal error')
    }
  })
}

/** Proxy options (5.05, RFC 7252 §5.7.2) and unrecognized critical options (RFC 7252 §5.4.1). */
function checkOptions(options: readonly RawOption[], confirmable: boolean): RequestReply {
  if (findOption(options, OPTION.ProxyUri) !== undefined || findOption(options, OPTION.ProxyScheme) !== undefined) {
    return failure('5.05', 'this hub is not a CoAP proxy')
  }
  const critical = findUnrecognizedCritical(options)
  if (critical === undefined) return undefined
  // 4.02 for a CON request; a NON one is rejected with a Reset
  return confirmable ? failure('4.02', `unrecognized critical option ${critical}`) : 'reset'
}

/** A follow-up GET for a later block of a representation already sent (RFC 7959 §2.4), if cached. */
function serveCachedBlock(deps: HandlerDeps, exchange: Exchange): OutboundResponse | undefined {
  const { packet, peer } = exchange.request
  if (exchange.block2 === undefined || exchange.block2.num === 0 || packet.code !== '0.01') return undefined
  const cached = deps.block2.get(`${peer.key}|${exchange.uriKey}`)
  if (cached === undefined) return undefined
  const reply = representationReply(deps, exchange, '2.05', cached.payload, cached.options, cached)
  // The `coap` client repeats Observe in its follow-ups for a block-wise notification and drops the
  // assembled body unless the last block has a fresh sequence number; RFC 7959 §3.4 clients omit it
  if (findOption(packet.options, OPTION.Observe) !== undefined) {
    reply.options = [...(reply.options ?? []), { name: OPTION.Observe, value: encodeUint(deps.observers.nextSequence()) }]
  }
  return reply
}

function requestFacts(request: InboundRequest, path: string[], query: string[]): RequestFacts {
  const { packet } = request
  const facts: RequestFacts = { code: packet.code, confirmable: packet.confirmable, path, query }
  const observe = findOption(packet.options, OPTION.Observe)
  if (observe !== undefined) facts.observe = decodeUint(observe)
  const contentFormat = findOption(packet.options, OPTION.ContentFormat)
  if (contentFormat !== undefined) facts.contentFormat = decodeUint(contentFormat)
  const maxAge = findOption(packet.options, OPTION.MaxAge)
  if (maxAge !== undefined) facts.maxAge = decodeUint(maxAge)
  return facts
}

/**
 * The request body: the payload, or with Block1 the reassembled upload (2.31 Continue until the last
 * block arrives). Bodies beyond the size limit are 4.13.
 */
function readBody(deps: HandlerDeps, exchange: Exchange, query: readonly string[]): { payload: Buffer; block1?: BlockOption } | OutboundResponse {
  const { packet, peer } = exchange.request
  const block1Value = findOption(packet.options, OPTION.Block1)
  if (block1Value === undefined) {
    if (packet.payload.length > deps.maxPayloadSize) return tooLargeOr(deps, '4.13', `payload of ${packet.payload.length} bytes exceeds the limit of ${deps.maxPayloadSize}`)
    return { payload: packet.payload }
  }
  const block1 = decodeBlock(block1Value)
  if (block1 === undefined) return failure('4.00', 'malformed Block1 option')
  const size1 = findOption(packet.options, OPTION.Size1)
  const key = `${peer.key}|${packet.code}|${exchange.uriKey}?${query.join('&')}`
  const outcome = deps.block1.accept(key, block1, packet.payload, size1 === undefined ? undefined : decodeUint(size1))
  if (outcome.kind === 'continue') return { code: '2.31', options: [{ name: OPTION.Block1, value: encodeBlock(outcome.block) }] }
  if (outcome.kind === 'error') return tooLargeOr(deps, outcome.code, outcome.message)
  return { payload: outcome.payload, block1: outcome.block }
}

type TopicAction = Exclude<CoapAction, { action: 'discover' }>

async function perform(deps: HandlerDeps, exchange: Exchange, action: TopicAction, identity: Identity, payload: Buffer): Promise<OutboundResponse> {
  const { ctx } = deps
  switch (action.action) {
    case 'publish': {
      const denied = await authorizePublish(ctx.hooks, identity, action.topic)
      if (denied !== undefined) return failure(denied.code, denied.message)
      const message = { topic: action.topic, payload, qos: action.qos, retain: action.retain, properties: action.properties }
      // Answer only once the hub accepted the message (stored where the store is durable)
      await ctx.publish(message, { protocol: 'coap', username: identity.username })
      return { code: '2.04' }
    }
    case 'clear': {
      const denied = await authorizePublish(ctx.hooks, identity, action.topic)
      if (denied !== undefined) return failure(denied.code, denied.message)
      await ctx.retained.delete(action.topic)
      return { code: '2.02' }
    }
    case 'read': {
      const denied = await authorizeSubscribe(ctx.hooks, identity, action.topic)
      if (denied !== undefined) return failure(denied.code, denied.message)
      return readRetained(deps, exchange, action.topic)
    }
    case 'observe':
      return observe(deps, exchange, action.filter, action.wildcard, identity)
    case 'unobserve': {
      deps.observers.cancel(exchange.request.peer, exchange.request.packet.token)
      // RFC 7641 §3.6: a deregistration is otherwise a plain GET, under the same ACL
      const denied = await authorizeSubscribe(ctx.hooks, identity, action.filter)
      if (denied !== undefined) return failure(denied.code, denied.message)
      return isWildcardFilter(action.filter) ? { code: '2.05' } : readRetained(deps, exchange, action.filter)
    }
  }
}

async function readRetained(deps: HandlerDeps, exchange: Exchange, topic: string): Promise<OutboundResponse> {
  const message = await deps.ctx.retained.get(topic)
  if (message === undefined || isExpired(message)) return failure('4.04', `no retained message on ${topic}`)
  const options = representationOptions(message)
  const notAcceptable = checkAccept(exchange, options)
  if (notAcceptable !== undefined) return notAcceptable
  return representationReply(deps, exchange, '2.05', message.payload, options)
}

async function observe(deps: HandlerDeps, exchange: Exchange, filter: string, wildcard: boolean, identity: Identity): Promise<OutboundResponse> {
  const denied = await authorizeSubscribe(deps.ctx.hooks, identity, filter)
  if (denied !== undefined) return failure(denied.code, denied.message)
  const { request } = exchange
  const observation = deps.observers.register({ endpoint: request.endpoint, peer: request.peer, token: request.packet.token, filter, wildcard, uriKey: exchange.uriKey })
  if (observation === undefined) deps.ctx.stats.limitBreaches++
  // The first response carries the retained message of an exact topic, or an empty payload when there
  // is none; a wildcard observer gets an empty one and the matching retained messages as notifications
  const retained = wildcard ? undefined : await deps.ctx.retained.get(filter)
  const current = retained !== undefined && !isExpired(retained) ? retained : undefined
  const options = current === undefined ? [] : representationOptions(current)
  const reply = representationReply(deps, exchange, '2.05', current?.payload ?? Buffer.alloc(0), options)
  if (observation === undefined) return reply // RFC 7641 §4.1: fall back to a plain GET
  reply.options = [...(reply.options ?? []), { name: OPTION.Observe, value: encodeUint(deps.observers.nextSequence()) }]
  reply.onSent = () => observation.activate()
  return reply
}

function discover(deps: HandlerDeps, exchange: Exchange, query: readonly string[]): OutboundResponse {
  const body = Buffer.from(renderLinkFormat(deps.resources, query), 'utf8')
  const options: RawOption[] = [{ name: OPTION.ContentFormat, value: encodeUint(40) }]
  return representationReply(deps, exchange, '2.05', body, options)
}

/** A response with a representation, in blocks when it is larger than one (RFC 7959 §2.4). */
function representationReply(deps: HandlerDeps, exchange: Exchange, code: string, payload: Buffer, options: RawOption[], cached?: Representation): OutboundResponse {
  if (exchange.block2 === undefined && payload.length <= deps.blockSize) return { code, payload, options }
  const representation = cached ?? { payload, options, etag: etagOf(payload) }
  const slice = sliceBlock(payload, exchange.block2, deps.blockSize)
  if (slice === undefined) return failure('4.02', 'the requested block lies beyond the end of the representation')
  if (cached === undefined && slice.block.more) deps.block2.store(`${exchange.request.peer.key}|${exchange.uriKey}`, representation)
  return { code, payload: slice.payload, options: blockOptions(representation, slice.block) }
}

function checkAccept(exchange: Exchange, options: RawOption[]): OutboundResponse | undefined {
  if (exchange.accept === undefined) return undefined
  const format = options.find((o) => o.name === OPTION.ContentFormat)
  const actual = format === undefined ? undefined : decodeUint(format.value)
  // RFC 7252 §5.10.4: 4.06 when the representation is not in the accepted format
  return actual === exchange.accept ? undefined : failure('4.06', `representation is not in Content-Format ${exchange.accept}`)
}

function tooLargeOr(deps: HandlerDeps, code: '4.08' | '4.13', message: string): OutboundResponse {
  if (code === '4.08') return failure(code, message)
  deps.ctx.stats.limitBreaches++
  // RFC 7959 §2.9.3: 4.13 may carry Size1, the largest body the server accepts
  return failure(code, message, [{ name: OPTION.Size1, value: encodeUint(deps.maxPayloadSize) }])
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** Option values as strings, or undefined when one is not well-formed UTF-8. */
function decodeStrings(values: Buffer[]): string[] | undefined {
  try {
    return values.map((v) => UTF8.decode(v))
  } catch {
    return undefined
  }
}

/** An error response with a diagnostic payload (RFC 7252 §5.5.2). */
function failure(code: string, message: string, options: RawOption[] = []): OutboundResponse {
  return { code, payload: Buffer.from(message, 'utf8'), options }
}
