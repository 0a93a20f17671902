/**
 * The CoAP message layer over one UDP socket (RFC 7252 §4): parsing with `coap-packet`, deduplication
 * of requests, piggybacked and separate responses, and CON retransmission with exponential back-off.
 * Request semantics live in handler.ts; this file knows nothing about topics.
 *
 * Why not the `coap` package's server: it deduplicates only after a response is sent (a CON
 * retransmitted while an async publish is pending is handled twice), reassembles Block1 by token
 * (libcoap changes the token per block and gets 5.00), sends every observe notification with the
 * registration's CON/NON type, and addresses error responses by port only. The codec is the same
 * `coap-packet` the `coap` package uses; the outbound client (client.ts) is the `coap` package's.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { generate, parse, type Packet, type ParsedPacket } from 'coap-packet'
import type { Logger } from '../../src/log.js'
import { ExchangeCache, type ExchangeRecord } from './dedupe.js'
import { MessageIds } from './message-ids.js'
import type { RawOption } from './options.js'
import type { CoapTransmission } from './schema.js'

/** The far end of an exchange. `key` identifies it in caches (address and port). */
export interface CoapPeer {
  address: string
  port: number
  key: string
}

export interface InboundRequest {
  peer: CoapPeer
  packet: ParsedPacket
  endpoint: CoapEndpoint
}

export interface OutboundResponse {
  code: string
  payload?: Buffer
  options?: RawOption[]
  /** Runs once the response has gone out, e.g. to start an observation's notifications. */
  onSent?: () => void
}

/** A response, `'reset'` to reject the message (RFC 7252 §4.2/§4.3), or nothing (an empty ACK for CON). */
export type RequestReply = OutboundResponse | 'reset' | undefined
export type RequestHandler = (request: InboundRequest) => RequestReply | Promise<RequestReply>

export interface EndpointOptions {
  host: string
  port: number
  handler: RequestHandler
  transmission: CoapTransmission
  log: Logger
  /** Requests remembered for deduplication. */
  maxDedupeEntries: number
  /** A datagram that is not a well-formed CoAP message arrived (it was dropped, or rejected with RST). */
  onMalformed?: (peer: CoapPeer, reason: string) => void
  /** A Reset arrived for a message this endpoint did not send as CON (e.g. a NON notification). */
  onReset?: (peer: CoapPeer, messageId: number) => void
}

interface PendingConfirmable {
  resolve: (outcome: 'ack' | 'reset') => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

/** RFC 7252 §4.8.2 EXCHANGE_LIFETIME and NON_LIFETIME from the transmission parameters, in ms. */
function lifetimes(t: CoapTransmission): { exchange: number; non: number } {
  const maxTransmitSpan = t.ackTimeout * (2 ** t.maxRetransmit - 1) * t.ackRandomFactor
  const maxLatency = 100
  return { exchange: (maxTransmitSpan + 2 * maxLatency + t.ackTimeout) * 1000, non: (maxTransmitSpan + maxLatency) * 1000 }
}

/** One bound UDP socket speaking CoAP. */
export class CoapEndpoint {
  private readonly exchanges: ExchangeCache
  private readonly pending = new Map<string, PendingConfirmable>()
  private readonly lifetime: { exchange: number; non: number }
  private readonly messageIds: MessageIds
  private closed = false
  /** Datagrams handed to the socket whose send has not completed yet. */
  private sending = 0
  private drained: (() => void) | undefined

  private constructor(
    readonly socket: Socket,
    private readonly options: EndpointOptions,
  ) {
    this.lifetime = lifetimes(options.transmission)
    socket.on('message', (datagram, rinfo) => this.receive(datagram, rinfo))
    socket.on('error', (error) => options.log.error({ err: error }, 'coap socket error'))
    this.exchanges = new ExchangeCache(options.maxDedupeEntries)
    this.messageIds = new MessageIds(this.lifetime.exchange, options.maxDedupeEntries)
  }

  /** Bind a UDP socket on `host:port` (port 0: the OS picks one) and serve CoAP on it. */
  static async bind(options: EndpointOptions): Promise<CoapEndpoint> {
    const ipv6 = isIPv6(options.host)
    // ipv6Only, so that `::` and `0.0.0.0` can both be bound on the same port
    const socket = createSocket({ type: ipv6 ? 'udp6' : 'udp4', ipv6Only: ipv6 })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    return new CoapEndpoint(socket, options)
  }

  address(): { address: string; port: number; family: string } {
    return this.socket.address()
  }

  /** Send a NON message (new message id); returns the id so a Reset can be matched to it. */
  sendNonConfirmable(peer: CoapPeer, packet: Packet): number {
    const messageId = this.messageIds.next(peer.key)
    this.sendDatagram(peer, generate({ ...packet, messageId, confirmable: false, ack: false, reset: false }))
    return messageId
  }

  /**
   * Send a CON message and retransmit it with exponential back-off (RFC 7252 §4.2) until an ACK or
   * RST arrives; rejects after MAX_RETRANSMIT retransmissions went unanswered. Throws when the
   * message cannot be encoded.
   */
  sendConfirmable(peer: CoapPeer, packet: Packet): Promise<'ack' | 'reset'> {
    const messageId = this.messageIds.next(peer.key)
    // Throws synchronously when the message cannot be encoded (e.g. larger than a datagram may be)
    const datagram = generate({ ...packet, messageId, confirmable: true, ack: false, reset: false })
    const t = this.options.transmission
    const key = `${peer.key}/${messageId}`
    return new Promise((resolve, reject) => {
      let timeout = t.ackTimeout * (1 + Math.random() * (t.ackRandomFactor - 1)) * 1000
      let retransmissions = 0
      const attempt = (): NodeJS.Timeout =>
        setTimeout(() => {
          if (retransmissions >= t.maxRetransmit) {
            this.pending.delete(key)
            reject(new Error(`no ACK from ${peer.key} after ${retransmissions} retransmissions`))
            return
          }
          retransmissions++
          timeout *= 2
          this.sendDatagram(peer, datagram)
          const entry = this.pending.get(key)
          if (entry !== undefined) entry.timer = attempt()
        }, timeout)
      this.pending.set(key, { resolve, reject, timer: attempt() })
      this.sendDatagram(peer, datagram)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const [key, entry] of this.pending) {
      clearTimeout(entry.timer)
      entry.reject(new Error('endpoint closed'))
      this.pending.delete(key)
    }
    this.exchanges.close()
    this.messageIds.close()
    // Datagrams handed to the socket (e.g. the 5.03 that ends each observation) go out before it closes
    if (this.sending > 0) await new Promise<void>((resolve) => (this.drained = resolve))
    await new Promise<void>((resolve) => this.socket.close(() => resolve()))
  }

  private receive(datagram: Buffer, rinfo: RemoteInfo): void {
    const peer: CoapPeer = { address: rinfo.address, port: rinfo.port, key: `${rinfo.address}|${rinfo.port}` }
    let packet: ParsedPacket
    try {
      packet = parseStrict(datagram)
    } catch (error) {
      this.options.onMalformed?.(peer, (error as Error).message)
      // RFC 7252 §4.2: a CON with a format error is rejected with RST, if its header could be read;
      // §3: a message with an unknown version is silently ignored
      if (datagram.length >= 4 && datagram[0]! >> 6 === 1 && (datagram[0]! & 0x30) === 0) {
        this.sendDatagram(peer, generate({ code: '0.00', reset: true, messageId: datagram.readUInt16BE(2) }))
      }
      return
    }
    if (packet.ack || packet.reset) {
      this.settle(peer, packet)
      return
    }
    const codeClass = packet.code.charAt(0)
    if (packet.code === '0.00' || codeClass !== '0') {
      // A CON ping (RFC 7252 §4.3) or a response this server never asked for: reject CON, ignore NON
      if (packet.confirmable) this.sendDatagram(peer, generate({ code: '0.00', reset: true, messageId: packet.messageId }))
      return
    }
    this.receiveRequest(peer, packet)
  }

  /** An ACK or RST for a CON this endpoint sent, or a RST for a NON. */
  private settle(peer: CoapPeer, packet: ParsedPacket): void {
    const key = `${peer.key}/${packet.messageId}`
    const entry = this.pending.get(key)
    if (entry !== undefined) {
      clearTimeout(entry.timer)
      this.pending.delete(key)
      entry.resolve(packet.reset ? 'reset' : 'ack')
    } else if (packet.reset) {
      this.options.onReset?.(peer, packet.messageId)
    }
  }

  private receiveRequest(peer: CoapPeer, packet: ParsedPacket): void {
    // RFC 7252 §4.5: the same message id from the same peer within EXCHANGE_LIFETIME is a duplicate;
    // answer it with the same datagram, or stay quiet while the first copy is still being handled
    const key = `${peer.key}/${packet.messageId}`
    const seen = this.exchanges.get(key)
    if (seen !== undefined) {
      if (seen.reply !== undefined) this.sendDatagram(peer, seen.reply)
      return
    }
    const entry = this.exchanges.open(key, packet.confirmable ? this.lifetime.exchange : this.lifetime.non)

    let separate = false
    let ackTimer: NodeJS.Timeout | undefined
    if (packet.confirmable) {
      // RFC 7252 §5.2.2: if the answer is not ready soon, ACK now and send the response separately
      ackTimer = setTimeout(() => {
        separate = true
        entry.reply = generate({ code: '0.00', ack: true, messageId: packet.messageId })
        this.sendDatagram(peer, entry.reply)
      }, this.options.transmission.separateResponseAfterMs)
    }
    const finish = (reply: RequestReply): void => {
      if (ackTimer !== undefined) clearTimeout(ackTimer)
      if (this.closed) return
      this.respond(peer, packet, entry, reply, separate)
    }
    let result: RequestReply | Promise<RequestReply>
    try {
      result = this.options.handler({ peer, packet, endpoint: this })
    } catch (error) {
      result = internalError(this.options.log, error)
    }
    if (result instanceof Promise) result.then(finish, (error: unknown) => finish(internalError(this.options.log, error)))
    else finish(result)
  }

  private respond(peer: CoapPeer, request: ParsedPacket, entry: ExchangeRecord, reply: RequestReply, separate: boolean): void {
    if (reply === undefined) {
      if (request.confirmable && !separate) entry.reply = generate({ code: '0.00', ack: true, messageId: request.messageId })
      if (entry.reply !== undefined && !separate) this.sendDatagram(peer, entry.reply)
      return
    }
    if (reply === 'reset') {
      entry.reply = generate({ code: '0.00', reset: true, messageId: request.messageId })
      this.sendDatagram(peer, entry.reply)
      return
    }
    const packet: Packet = { code: reply.code, token: request.token, options: reply.options ?? [], payload: reply.payload ?? Buffer.alloc(0) }
    if (request.confirmable && separate) {
      // RFC 7252 §5.2.2: a separate response to a CON request is itself CON
      let delivery: Promise<'ack' | 'reset'>
      try {
        delivery = this.sendConfirmable(peer, packet)
      } catch (error) {
        const diagnostic = internalError(this.options.log, error)
        delivery = this.sendConfirmable(peer, { ...packet, code: diagnostic.code, options: [], payload: diagnostic.payload })
      }
      delivery.catch((error: unknown) => this.options.log.debug({ err: error, peer: peer.key }, 'separate response not acknowledged'))
      reply.onSent?.()
      return
    }
    let datagram: Buffer
    try {
      datagram = request.confirmable
        ? generate({ ...packet, ack: true, messageId: request.messageId }) // piggybacked (RFC 7252 §5.2.1)
        : generate({ ...packet, confirmable: false, messageId: this.messageIds.next(peer.key) })
    } catch (error) {
      const diagnostic = internalError(this.options.log, error)
      datagram = generate({ ...packet, code: diagnostic.code, options: [], payload: diagnostic.payload, ack: request.confirmable, messageId: request.confirmable ? request.messageId : this.messageIds.next(peer.key) })
    }
    entry.reply = datagram
    this.sendDatagram(peer, datagram)
    reply.onSent?.()
  }

  private sendDatagram(peer: CoapPeer, datagram: Buffer): void {
    if (this.closed) return
    this.sending++
    this.socket.send(datagram, peer.port, peer.address, (error) => {
      if (error) this.options.log.debug({ err: error, peer: peer.key }, 'coap send failed')
      if (--this.sending === 0) this.drained?.()
    })
  }
}

/** `coap-packet`'s parse plus a check it leaves out: token lengths 9-15 are reserved (RFC 7252 §3). */
function parseStrict(datagram: Buffer): ParsedPacket {
  if (datagram.length < 4) throw new Error('shorter than the 4-byte CoAP header')
  const tokenLength = datagram[0]! & 0x0f
  if (tokenLength > 8) throw new Error(`reserved token length ${tokenLength}`)
  return parse(datagram)
}

function internalError(log: Logger, error: unknown): OutboundResponse & { payload: Buffer } {
  log.error({ err: error }, 'coap request failed')
  return { code: '5.00', payload: Buffer.from('internal error') }
}
