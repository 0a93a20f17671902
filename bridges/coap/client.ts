/**
 * Outbound CoAP (DESIGN.md §6): the rules engine PUTs/POSTs to devices through the `coap` package's
 * client, which retransmits CON requests (RFC 7252 §4.2), sends Block1 and reassembles Block2.
 * Offered to other plug-ins as the `coap.request` service.
 */
import { isIPv6 } from 'node:net'
import { Agent, request as coapRequest, type IncomingMessage, type OutgoingMessage } from 'coap'
import { HubError } from '../../src/errors.js'
import type { CoapRequest, CoapResponse } from '../../src/hub-context.js'
import { contentFormatOf } from './content-format.js'

/** Payloads above this go out block-wise; 1024 bytes fit a 1,152-byte datagram (RFC 7252 §4.6). */
const BLOCK_SIZE = 1024
const BLOCK_SZX = 6
const DEFAULT_TIMEOUT_MS = 30_000

export interface CoapClient {
  request(request: CoapRequest): Promise<CoapResponse>
  close(): void
}

/** A client with one agent (UDP socket) per address family, opened on first use. */
export function createCoapClient(): CoapClient {
  const agents: { udp4?: Agent; udp6?: Agent } = {}
  const agentFor = (host: string): Agent => (isIPv6(host) ? (agents.udp6 ??= new Agent({ type: 'udp6' })) : (agents.udp4 ??= new Agent({ type: 'udp4' })))
  return {
    request: (request) => sendRequest(request, agentFor),
    close() {
      agents.udp4?.close()
      agents.udp6?.close()
    },
  }
}

function sendRequest(request: CoapRequest, agentFor: (host: string) => Agent): Promise<CoapResponse> {
  let url: URL
  try {
    url = new URL(request.url)
  } catch (error) {
    return Promise.reject(new HubError('HUB_ERR_BAD_REQUEST', `not a URL: ${request.url}`, { cause: error }))
  }
  if (url.protocol !== 'coap:') return Promise.reject(new HubError('HUB_ERR_BAD_REQUEST', `only coap:// URLs are supported (no DTLS), got ${url.protocol}//`))
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const payload = request.payload ?? Buffer.alloc(0)
  const options: Record<string, Buffer> = {}
  // The `coap` agent sends Block1 when the option is set; its value is the size exponent (SZX)
  if (payload.length > BLOCK_SIZE) options.Block1 = Buffer.of(BLOCK_SZX)
  const agent = agentFor(hostname)
  return new Promise((resolve, reject) => {
    let req: OutgoingMessage
    try {
      req = coapRequest({
        agent,
        hostname,
        port: url.port === '' ? 5683 : Number(url.port),
        method: request.method,
        confirmable: request.confirmable ?? true,
        pathname: decodePath(url.pathname),
        query: url.search.slice(1),
        options,
        ...(request.contentFormat === undefined ? {} : { contentFormat: request.contentFormat }),
      })
    } catch (error) {
      reject(new HubError('HUB_ERR_BAD_REQUEST', `cannot build the CoAP request to ${request.url}: ${(error as Error).message}`, { cause: error }))
      return
    }
    const timer = setTimeout(() => {
      agent.abort(req)
      reject(new HubError('HUB_ERR_UNAVAILABLE', `CoAP ${request.method} ${request.url}: no response within ${request.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`))
    }, request.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    req.on('response', (res: IncomingMessage) => {
      clearTimeout(timer)
      const response: CoapResponse = { code: res.code, payload: res.payload }
      const contentFormat = readContentFormat(res)
      if (contentFormat !== undefined) response.contentFormat = contentFormat
      resolve(response)
    })
    req.on('error', (error: Error) => {
      clearTimeout(timer)
      reject(new HubError('HUB_ERR_UNAVAILABLE', `CoAP ${request.method} ${request.url} failed: ${error.message}`, { cause: error }))
    })
    req.end(payload)
  })
}

/** URL paths are percent-encoded; CoAP Uri-Path options carry the decoded segments (RFC 7252 §6.4). */
function decodePath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment)
      } catch {
        return segment
      }
    })
    .join('/')
}

/** The `coap` package turns Content-Format into a media type name where it knows one. */
function readContentFormat(res: IncomingMessage): number | undefined {
  const value: unknown = res.headers['Content-Format']
  if (typeof value === 'number') return value
  if (typeof value === 'string') return contentFormatOf(value)
  return undefined
}
