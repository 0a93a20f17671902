import type { Duplex } from 'node:stream'
import mqtt from 'mqtt-packet'
import type { Packet } from 'mqtt-packet'
import type { Identity } from '../hooks.js'
import { remainingExpirySeconds, type Message, type Origin } from '../message.js'
import { FrameReader, violationCode, type InboundPublish } from './frame-reader.js'
import { ticks } from './clock.js'
import type { Peer } from './listeners.js'
import type { MqttCore } from './mqtt-core.js'
import { isSharable, sharedPublish } from './outgoing-forms.js'
import { encodePublish, withPacketId, type EncodedPublish } from './publish-encoder.js'
import { RC, RC311 } from './reason-codes.js'
import type { Session } from './session.js'
import type { WillSpec } from './will.js'

// mqtt-packet's generate() otherwise builds a cache of 65,536 two-byte Buffers (about 6 MB) on first
// use; the hub encodes PUBLISH itself and generates only the rarer control packets with it.
mqtt.writeToStream.cacheNumbers = false

/** Connections with writes corked this event-loop turn; all uncorked together in one tick. */
const corked: Connection[] = []
let flushScheduled = false

function flushCorked(): void {
  flushScheduled = false
  for (let i = 0; i < corked.length; i++) (corked[i] as Connection).uncork()
  corked.length = 0
}

/** The largest packet MQTT can frame: 1 + 4 bytes of header and 268,435,455 bytes of body. */
const MAX_PACKET_SIZE = 268_435_460

const CONNECTION = Symbol('connection')
type LinkedSocket = Duplex & { [CONNECTION]: Connection }

function onData(this: LinkedSocket, chunk: Buffer): void {
  this[CONNECTION].read(chunk)
}

function onError(this: LinkedSocket): void {
  this[CONNECTION].close('socket error')
}

function onClose(this: LinkedSocket): void {
  this[CONNECTION].close('connection lost')
}

type State = 'awaiting-connect' | 'connecting' | 'connected' | 'closed'

/**
 * One MQTT network connection (TCP, TLS or WebSocket): reads packets, hands them to the handlers in
 * order, and batches what it writes per event-loop turn. Idle connections stay small: maps and queues
 * are created on first use, and keep alive is checked by one sweep over all connections.
 */
export class Connection {
  state: State = 'awaiting-connect'
  /** Protocol level from CONNECT: 3 (3.1), 4 (3.1.1) or 5. */
  version: 3 | 4 | 5 = 4
  clientId = ''
  identity: Identity | undefined
  /** The user name the client authenticated as. */
  username: string | undefined
  private originObject: Origin | undefined
  session: Session | undefined
  will: WillSpec | undefined
  /** Keep alive granted, in seconds (0: none). */
  keepAlive = 0
  /** Last byte received, in {@link ticks}. */
  lastSeen: number
  /** When the socket was accepted, in {@link ticks}. */
  readonly openedAt: number
  cleanStart = true
  /** Client's Receive Maximum: QoS 1/2 PUBLISHes we may have unacknowledged (MQTT 5.0 §3.1.2.11.3). */
  sendQuota = 65535
  /**
   * Client's Maximum Packet Size (MQTT 5.0 §3.1.2.11.4); when it set none, the protocol's own limit
   * (a small integer, unlike Infinity, which would cost a heap number per connection).
   */
  maxOutgoingPacket = MAX_PACKET_SIZE
  /** Client's Topic Alias Maximum: aliases we may assign towards it. */
  aliasOutMax = 0
  aliasOut: Map<string, number> | undefined
  aliasIn: Map<number, string> | undefined
  /** Whether the PUBLISH being encoded assigned a new outbound alias. */
  private newAlias = false
  /** QoS 1 PUBLISHes received whose PUBACK waits for storage, for Receive Maximum accounting. */
  pendingAcks = 0
  private ackChain: Promise<void> | undefined
  /** Publish-rate window (limits.publishRate). */
  rateWindowStart = 0
  rateCount = 0
  private isCorked = false
  /**
   * Whether the transport writes a corked batch in one go (net.Socket's writev). The WebSocket
   * stream does not: it would send one frame per packet, so its packets are gathered and sent as one
   * frame (MQTT over WebSocket lets a frame carry several packets, MQTT 5.0 §6).
   */
  private readonly writev: boolean
  private gathered: Buffer[] | undefined
  private gatheredBytes = 0
  private backlog: Array<Packet | InboundPublish> | undefined
  private busy = false
  private readonly reader: FrameReader

  constructor(
    readonly socket: Duplex,
    readonly core: MqttCore,
    private readonly peer: Peer,
  ) {
    this.openedAt = this.lastSeen = ticks()
    this.writev = typeof (socket as { _writev?: unknown })._writev === 'function'
    this.reader = new FrameReader(core.limits.maxPacketSize)
    // Shared handlers instead of three closures per connection (idle-connection memory)
    ;(socket as LinkedSocket)[CONNECTION] = this
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('close', onClose)
  }

  /** The origin of every message this connection publishes: one object, made on first use. */
  get origin(): Origin {
    return (this.originObject ??= { protocol: 'mqtt', clientId: this.clientId, username: this.username })
  }

  /** The client's address, read from the socket when asked for. */
  get remoteAddress(): string | undefined {
    return this.peer.remoteAddress
  }

  get v5(): boolean {
    return this.version === 5
  }

  get closed(): boolean {
    return this.state === 'closed'
  }

  get connected(): boolean {
    return this.state === 'connected'
  }

  /** Whether the socket has more buffered than limits.maxWriteBuffer (a slow subscriber). */
  get congested(): boolean {
    return this.socket.writableLength + this.gatheredBytes > this.core.limits.maxWriteBuffer
  }

  /** Bytes from the socket. */
  read(chunk: Buffer): void {
    if (this.state === 'closed') return
    this.lastSeen = ticks()
    try {
      this.reader.push(chunk, (packet) => this.accept(packet), () => this.state === 'closed')
    } catch (error) {
      this.fail(error)
    }
  }

  /** Process a packet now, or after the asynchronous one before it, keeping the order. */
  private accept(packet: Packet | InboundPublish): void {
    if (this.busy) {
      ;(this.backlog ??= []).push(packet)
      if (this.backlog.length === 1) this.socket.pause()
      return
    }
    this.run(packet)
  }

  private run(packet: Packet | InboundPublish): void {
    let result: void | Promise<void>
    try {
      result = this.core.handle(this, packet)
    } catch (error) {
      this.fail(error)
      return
    }
    if (result === undefined) return
    this.busy = true
    result.then(
      () => this.resume(),
      (error: unknown) => this.fail(error),
    )
  }

  private resume(): void {
    this.busy = false
    while (this.backlog !== undefined && this.backlog.length > 0 && !this.busy && this.state !== 'closed') {
      this.run(this.backlog.shift() as Packet | InboundPublish)
    }
    if (!this.busy) {
      this.backlog = undefined
      if (this.state !== 'closed') this.socket.resume()
    }
  }

  /** Close for a protocol violation or an internal error, with the violation's reason code. */
  fail(error: unknown): void {
    if (this.state === 'closed') return
    const message = error instanceof Error ? error.message : String(error)
    const violation = violationCode(error)
    if (violation === undefined) {
      // Not the client's fault (a store or hook failed): 0x80 Unspecified error, logged as ours
      this.core.deps.log.error({ err: error, clientId: this.clientId }, 'closing a connection after an internal error')
      this.close(message, RC.unspecifiedError)
      return
    }
    const reasonCode = violation
    const stats = this.core.deps.stats
    if (reasonCode === RC.packetTooLarge || reasonCode === RC.receiveMaximumExceeded || reasonCode === RC.messageRateTooHigh) stats.limitBreaches++
    else stats.protocolErrors++
    if (reasonCode === RC.unsupportedProtocolVersion && this.state === 'awaiting-connect') {
      // [MQTT-3.1.2-2] answered in the 3.1.1 form every client level can read
      this.write(Buffer.from([0x20, 2, 0, RC311.unacceptableProtocolVersion]))
    }
    this.core.deps.log.debug({ clientId: this.clientId, remoteAddress: this.remoteAddress, reasonCode, err: message }, 'closing connection for bad input')
    this.close(message, reasonCode)
  }

  /** Tell the broker which protocol level to decode with (after CONNECT). */
  setVersion(version: 3 | 4 | 5): void {
    this.version = version
    this.reader.version = version
  }

  /**
   * Close this connection. With a reason code, a 5.0 client that completed CONNECT first gets a
   * DISCONNECT with it (MQTT 5.0 §4.13.2). Session and will handling happen synchronously, so that a
   * session taken over is free before the new connection attaches.
   */
  close(reason: string, reasonCode?: number): void {
    if (this.state === 'closed') return
    const wasConnected = this.state === 'connected'
    this.state = 'closed'
    this.reader.reset()
    this.backlog = undefined
    if (wasConnected && this.v5 && reasonCode !== undefined) {
      this.writePacket({ cmd: 'disconnect', reasonCode, properties: reasonCode >= 0x80 ? { reasonString: reason.slice(0, 200) } : undefined })
    }
    this.uncork()
    this.socket.end()
    // A peer that never reads would keep the socket open: destroy it after a grace period.
    setTimeout(() => this.socket.destroy(), 2000).unref()
    this.core.connectionClosed(this, reason, wasConnected)
  }

  /** Queue bytes for the socket; everything written in one event-loop turn leaves in one write. */
  write(bytes: Buffer): void {
    if (this.state === 'closed' && !this.socket.writable) return
    if (!this.isCorked) {
      this.isCorked = true
      if (this.writev) this.socket.cork()
      corked.push(this)
      if (!flushScheduled) {
        flushScheduled = true
        process.nextTick(flushCorked)
      }
    }
    this.core.deps.stats.bytesOut += bytes.length
    if (this.writev) {
      this.socket.write(bytes)
    } else {
      ;(this.gathered ??= []).push(bytes)
      this.gatheredBytes += bytes.length
    }
  }

  /** Send what this turn wrote. */
  uncork(): void {
    if (!this.isCorked) return
    this.isCorked = false
    if (this.writev) {
      this.socket.uncork()
      return
    }
    const gathered = this.gathered
    this.gathered = undefined
    this.gatheredBytes = 0
    if (gathered !== undefined) this.socket.write(gathered.length === 1 ? (gathered[0] as Buffer) : Buffer.concat(gathered))
  }

  /** Encode and write a control packet with mqtt-packet (everything but the PUBLISH fast path). */
  writePacket(packet: Packet): void {
    this.write(mqtt.generate(packet, { protocolVersion: this.version }))
  }

  /** PUBACK / PUBREC / PUBREL / PUBCOMP. A 0x00 reason with no properties is the short 2-byte form. */
  writeAck(cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number, reasonCode = 0): void {
    if (reasonCode !== 0 && this.v5) {
      this.writePacket({ cmd, messageId, reasonCode } as Packet)
      return
    }
    const bytes = Buffer.allocUnsafe(4)
    bytes[0] = cmd === 'puback' ? 0x40 : cmd === 'pubrec' ? 0x50 : cmd === 'pubrel' ? 0x62 : 0x70
    bytes[1] = 2
    bytes.writeUInt16BE(messageId, 2)
    this.write(bytes)
  }

  /**
   * Acknowledge a received QoS 1/2 PUBLISH once `stored` settles, keeping acknowledgements in the
   * order the PUBLISHes arrived [MQTT-4.6.0-2].
   */
  ackAfter(stored: Promise<unknown> | undefined, cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', messageId: number, reasonCode = 0): void {
    if (stored === undefined && this.ackChain === undefined) {
      this.writeAck(cmd, messageId, reasonCode)
      return
    }
    this.pendingAcks++
    const chain: Promise<void> = (this.ackChain ?? Promise.resolve())
      .then(() => stored)
      .then(
        () => {
          this.pendingAcks--
          if (this.ackChain === chain) this.ackChain = undefined
          if (this.state !== 'closed') this.writeAck(cmd, messageId, reasonCode)
        },
        (error: unknown) => {
          this.pendingAcks--
          if (this.ackChain === chain) this.ackChain = undefined
          this.core.deps.log.error({ err: error, clientId: this.clientId }, 'storing a received message failed')
          this.close('storing a received message failed', RC.unspecifiedError)
        },
      )
    this.ackChain = chain
  }

  /**
   * Send one message to this client. QoS 0 passes `packetId` 0. Returns false when the packet would
   * exceed the client's Maximum Packet Size and was dropped instead [MQTT-3.1.2-25].
   */
  sendPublish(message: Message, qos: 0 | 1 | 2, retain: boolean, packetId: number, dup: boolean, subscriptionIds?: readonly number[]): boolean {
    let encoded: EncodedPublish
    this.newAlias = false
    if (!this.v5 || (subscriptionIds === undefined && this.aliasOutMax === 0 && isSharable(message))) {
      encoded = sharedPublish(message, this.v5, qos, retain)
    } else {
      encoded = this.encodeOwn(message, qos, retain, subscriptionIds)
    }
    if (encoded.bytes.length > this.maxOutgoingPacket) {
      // An alias handed out with a packet that is never sent would be unknown to the client.
      if (this.newAlias) this.aliasOut?.delete(message.topic)
      this.core.broker.drop(message, `PUBLISH of ${encoded.bytes.length} bytes exceeds the Maximum Packet Size of client ${this.clientId}`)
      this.core.logDrop('client maximum packet size')
      return false
    }
    this.write(qos === 0 ? encoded.bytes : withPacketId(encoded, packetId, dup))
    this.core.deps.stats.messagesOut.mqtt++
    return true
  }

  /** A 5.0 PUBLISH only this client gets: its subscription ids, topic alias or remaining expiry. */
  private encodeOwn(message: Message, qos: 0 | 1 | 2, retain: boolean, subscriptionIds: readonly number[] | undefined): EncodedPublish {
    let topic = message.topic
    let topicAlias: number | undefined
    if (this.aliasOutMax > 0) {
      // Outbound topic aliases (MQTT 5.0 §3.3.2.3.4): first use sends topic and alias, later ones
      // an empty topic; aliases are handed out until the client's maximum, then never replaced.
      this.aliasOut ??= new Map()
      topicAlias = this.aliasOut.get(topic)
      if (topicAlias !== undefined) topic = ''
      else if (this.aliasOut.size < this.aliasOutMax) {
        topicAlias = this.aliasOut.size + 1
        this.aliasOut.set(topic, topicAlias)
        this.newAlias = true
      }
    }
    return encodePublish({
      topic,
      payload: message.payload,
      qos,
      retain,
      dup: false,
      v5: {
        properties: message.properties,
        messageExpiryInterval: remainingExpirySeconds(message), // [MQTT-3.3.2-6]
        topicAlias,
        subscriptionIds,
      },
    })
  }
}
