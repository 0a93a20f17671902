import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import type { TestContext } from 'node:test'
import { Agent, request, type CoapRequestParams, type IncomingMessage, type ObserveReadStream } from 'coap'
import { generate, parse, type Packet, type ParsedPacket } from 'coap-packet'
import type { Hub } from '../../../src/index.js'

/** The IPv4 and IPv6 CoAP addresses of a test hub. */
export function coapAddresses(hub: Hub): { v4: { host: string; port: number }; v6: { host: string; port: number } | undefined } {
  const v4 = hub.listeners().find((l) => l.name === 'coap')
  const v6 = hub.listeners().find((l) => l.name === 'coap6')
  if (v4 === undefined) throw new Error(`no coap listener: ${JSON.stringify(hub.listeners())}`)
  return { v4: { host: v4.host, port: v4.port }, v6: v6 && { host: v6.host, port: v6.port } }
}

/**
 * An agent on a socket the test owns: the `coap` agent closes a socket it created itself as soon as
 * no request is open, which breaks a later deregistration (GET Observe=1) on it.
 */
function ownAgent(t: TestContext, family: 'udp4' | 'udp6'): Agent {
  const socket = createSocket(family)
  t.after(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  return new Agent({ socket })
}

/** A `coap` package client with its own agent (socket), closed after the test. */
export function coapClient(t: TestContext, family: 'udp4' | 'udp6' = 'udp4'): (params: CoapRequestParams, payload?: Buffer | string) => Promise<IncomingMessage> {
  const agent = ownAgent(t, family)
  return (params, payload) =>
    new Promise((resolve, reject) => {
      const req = request({ agent, ...params })
      const timer = setTimeout(() => reject(new Error(`no response to ${params.method ?? 'GET'} ${params.pathname}`)), 10_000)
      req.on('response', (res: IncomingMessage) => {
        clearTimeout(timer)
        resolve(res)
      })
      req.on('error', (error: Error) => {
        clearTimeout(timer)
        reject(error)
      })
      req.end(payload)
    })
}

/** Open an observation with the `coap` client; the stream is closed (deregistered) after the test. */
export function observe(t: TestContext, params: CoapRequestParams, family: 'udp4' | 'udp6' = 'udp4'): Promise<ObserveReadStream> {
  const agent = ownAgent(t, family)
  return new Promise((resolve, reject) => {
    const req = request({ agent, observe: true, ...params })
    const timer = setTimeout(() => reject(new Error(`no response to observe ${params.pathname}`)), 10_000)
    req.on('response', (res: ObserveReadStream) => {
      clearTimeout(timer)
      t.after(() => {
        if (res.readable) res.close()
      })
      resolve(res)
    })
    req.on('error', reject)
    req.end()
  })
}

/** A raw UDP socket for crafted datagrams, closed after the test. */
export async function rawSocket(t: TestContext, family: 'udp4' | 'udp6' = 'udp4'): Promise<RawCoapSocket> {
  const socket = createSocket(family)
  socket.bind(0, family === 'udp4' ? '127.0.0.1' : '::1')
  await once(socket, 'listening')
  t.after(() => socket.close())
  return new RawCoapSocket(socket)
}

export class RawCoapSocket {
  private readonly inbox: ParsedPacket[] = []
  private waiters: Array<() => void> = []

  constructor(readonly socket: Socket) {
    socket.on('message', (datagram) => {
      this.inbox.push(parse(datagram))
      for (const wake of this.waiters.splice(0)) wake()
    })
  }

  send(datagram: Buffer, port: number, host = '127.0.0.1'): void {
    this.socket.send(datagram, port, host)
  }

  sendPacket(packet: Packet, port: number, host = '127.0.0.1'): void {
    this.send(generate(packet), port, host)
  }

  /** The next message received, failing after a generous safety timeout. */
  async next(timeoutMs = 10_000): Promise<ParsedPacket> {
    const deadline = Date.now() + timeoutMs
    while (this.inbox.length === 0) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('no CoAP message arrived')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.inbox.shift() as ParsedPacket
  }
}

/** The option value with `name`, if present. */
export function optionOf(packet: ParsedPacket, name: string): Buffer | undefined {
  return packet.options.find((o) => o.name === name)?.value
}

export function uintOf(value: Buffer | undefined): number | undefined {
  if (value === undefined) return undefined
  let n = 0
  for (const byte of value) n = n * 256 + byte
  return n
}

/** Uri-Path options for a path like `ps/a/b`. */
export function uriPath(path: string): Array<{ name: 'Uri-Path'; value: Buffer }> {
  return path.split('/').map((segment) => ({ name: 'Uri-Path' as const, value: Buffer.from(segment) }))
}
