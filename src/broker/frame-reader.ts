import { isUtf8 } from 'node:buffer'
import mqtt from 'mqtt-packet'
import type { Packet } from 'mqtt-packet'
import { HubError, isHubError } from '../errors.js'
import { RC } from './reason-codes.js'

/** A protocol violation on one connection, with the MQTT 5.0 reason code to close it with. */
export function protocolViolation(reasonCode: number, message: string): HubError {
  return new HubError('HUB_ERR_BAD_REQUEST', message, { details: { reasonCode } })
}

/** The reason code carried by a {@link protocolViolation}, or undefined for any other error. */
export function violationCode(error: unknown): number | undefined {
  if (!isHubError(error, 'HUB_ERR_BAD_REQUEST')) return undefined
  return (error.details as { reasonCode?: number } | undefined)?.reasonCode
}

type ParserVersion = 3 | 4 | 5

/**
 * One mqtt-packet parser per protocol level, shared by every connection: the reader only ever hands
 * them one complete frame, which they parse synchronously, so they hold no state between frames and a
 * connection costs no parser of its own (idle-connection memory).
 */
const shared = new Map<ParserVersion, { parser: ReturnType<typeof mqtt.parser>; settings: { protocolVersion: ParserVersion }; packet: Packet | undefined; error: Error | undefined }>()

function parserFor(version: ParserVersion): NonNullable<ReturnType<typeof shared.get>> {
  let entry = shared.get(version)
  if (entry === undefined) {
    const settings = { protocolVersion: version }
    const parser = mqtt.parser(settings)
    const created: NonNullable<ReturnType<typeof shared.get>> = { parser, settings, packet: undefined, error: undefined }
    parser.on('packet', (packet: Packet) => {
      created.packet = packet
    })
    parser.on('error', (error: Error) => {
      created.error = error
    })
    shared.set(version, created)
    entry = created
  }
  return entry
}

/** Parse one complete frame with mqtt-packet; throws a 0x81 violation when it is malformed. */
function decodeWithLibrary(frame: Buffer, version: ParserVersion): Packet {
  const entry = parserFor(version)
  entry.packet = undefined
  entry.error = undefined
  // mqtt-packet replaces its settings with each CONNECT it parses; a shared parser must not keep them.
  ;(entry.parser as unknown as { settings: unknown }).settings = entry.settings
  let left: number
  try {
    left = entry.parser.parse(frame)
  } catch (thrown) {
    // Some malformed input makes mqtt-packet throw (a read past its buffer) mid-packet instead of
    // reporting an error; that parser's state is unusable now.
    shared.delete(version)
    throw protocolViolation(RC.malformedPacket, `malformed packet: ${(thrown as Error).message}`)
  }
  const { packet, error } = entry as { packet: Packet | undefined; error: Error | undefined }
  if (error !== undefined || packet === undefined || left !== 0) {
    // After any failure the parser's state is suspect (mqtt-packet 9 does not reset its read position
    // after an error, which breaks the next packet): the next frame gets a fresh parser.
    shared.delete(version)
    throw protocolViolation(RC.malformedPacket, `malformed ${packet?.cmd ?? 'packet'}: ${error?.message ?? 'length does not match content'}`)
  }
  if (!hasWellFormedStrings(frame, packet)) {
    // [MQTT-1.5.4-1] ill-formed UTF-8 makes the packet malformed
    throw protocolViolation(RC.malformedPacket, `${packet.cmd} contains ill-formed UTF-8`)
  }
  return packet
}

/**
 * mqtt-packet decodes strings with Buffer#toString, which turns ill-formed UTF-8 into U+FFFD. A
 * decoded U+FFFD that the raw frame does not spell (EF BF BD) therefore came from bad input.
 */
function hasWellFormedStrings(frame: Buffer, packet: Packet): boolean {
  if (packet.cmd !== 'subscribe' && packet.cmd !== 'unsubscribe' && packet.cmd !== 'connect') return true
  const text =
    packet.cmd === 'connect'
      ? `${packet.clientId}${packet.username ?? ''}${packet.will?.topic ?? ''}`
      : packet.cmd === 'subscribe'
        ? packet.subscriptions.map((s) => s.topic).join('')
        : packet.unsubscriptions.join('')
  return !text.includes('\ufffd') || frame.includes(REPLACEMENT_BYTES)
}

const REPLACEMENT_BYTES = Buffer.from([0xef, 0xbf, 0xbd])

/**
 * A CONNECT for a protocol level the hub does not speak gets CONNACK 0x01 / 0x84 rather than a bare
 * close [MQTT-3.1.2-2]; mqtt-packet would only report it as malformed.
 */
function checkProtocolLevel(frame: Buffer, headerLength: number): void {
  if (frame.length < headerLength + 2) return
  const nameLength = frame.readUInt16BE(headerLength)
  const level = frame[headerLength + 2 + nameLength]
  if (level === undefined) return
  const plain = level & 0x7f // bridge mode sets the top bit
  if (plain !== 3 && plain !== 4 && plain !== 5) {
    throw protocolViolation(RC.unsupportedProtocolVersion, `unsupported protocol level ${level}`)
  }
}

/** A PUBLISH as the fast path decodes it: the same shape as mqtt-packet's, so handlers see one type. */
export interface InboundPublish {
  cmd: 'publish'
  topic: string
  payload: Buffer
  qos: 0 | 1 | 2
  retain: boolean
  dup: boolean
  messageId?: number
  properties?: mqtt.IPublishPacket['properties']
}

/**
 * Decode a PUBLISH without the library when it carries no MQTT 5 properties (the common case): no
 * intermediate buffer list, and the topic's UTF-8 is checked on the raw bytes.
 */
function decodePublish(frame: Buffer, headerLength: number, version: ParserVersion): InboundPublish | undefined {
  const flags = frame[0] as number
  const qosBits = (flags >> 1) & 3
  if (qosBits === 3) throw protocolViolation(RC.malformedPacket, 'PUBLISH with QoS 3') // [MQTT-3.3.1-4]
  const qos = qosBits as 0 | 1 | 2
  let pos = headerLength
  if (frame.length < pos + 2) throw protocolViolation(RC.malformedPacket, 'PUBLISH too short for its topic')
  const topicLength = frame.readUInt16BE(pos)
  pos += 2
  const topicEnd = pos + topicLength
  if (topicEnd > frame.length) throw protocolViolation(RC.malformedPacket, 'PUBLISH topic runs past the packet')
  const topicBytes = frame.subarray(pos, topicEnd)
  // [MQTT-1.5.4-1] ill-formed UTF-8 is a malformed packet
  if (!isUtf8(topicBytes)) throw protocolViolation(RC.malformedPacket, 'PUBLISH topic is not well-formed UTF-8')
  pos = topicEnd
  let messageId: number | undefined
  if (qos > 0) {
    if (frame.length < pos + 2) throw protocolViolation(RC.malformedPacket, 'PUBLISH too short for its packet identifier')
    messageId = frame.readUInt16BE(pos)
    pos += 2
  }
  if (version === 5) {
    if (pos >= frame.length) throw protocolViolation(RC.malformedPacket, 'PUBLISH too short for its properties')
    if (frame[pos] !== 0) return undefined // properties present: let mqtt-packet parse them
    pos += 1
  }
  return {
    cmd: 'publish',
    topic: topicBytes.toString('utf8'),
    // A copy, so that a retained or queued message does not pin the socket's whole read buffer.
    payload: Buffer.from(frame.subarray(pos)),
    qos,
    retain: (flags & 1) === 1,
    dup: (flags & 8) === 8,
    messageId,
  }
}

/** First bytes of PUBACK, PUBREC, PUBREL (flags 0010 [MQTT-3.6.1-1]) and PUBCOMP. */
const ACK_HEADERS = [0x40, 0x50, 0x62, 0x70]
const ACK_COMMANDS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const

/** What {@link FrameReader.push} hands to its consumer for each complete packet. */
export type PacketSink = (packet: Packet | InboundPublish, size: number) => void

/**
 * Splits a byte stream into MQTT packets. It reads the fixed header itself, so a remaining length
 * above the limit is refused before any of the body is buffered (MQTT 5.0 §3.1.2.11.4: 0x95), and it
 * keeps at most one partial packet. Complete frames are decoded synchronously.
 */
export class FrameReader {
  private pending: Buffer[] | undefined
  private pendingLength = 0
  private needed = 0
  /** Protocol level for decoding; set from CONNECT. */
  version: ParserVersion = 4

  constructor(private maxPacketSize: number) {}

  /**
   * Feed bytes; calls `sink` for each complete packet. Throws a {@link protocolViolation} on bad
   * input. `stopped` is polled between packets so that a closed connection stops parsing.
   */
  push(chunk: Buffer, sink: PacketSink, stopped: () => boolean): void {
    let buf = chunk
    if (this.pending !== undefined) {
      this.pending.push(chunk)
      this.pendingLength += chunk.length
      if (this.pendingLength < this.needed) return
      buf = Buffer.concat(this.pending, this.pendingLength)
      this.pending = undefined
      this.pendingLength = 0
    }
    let pos = 0
    const end = buf.length
    while (pos < end && !stopped()) {
      // Fixed header: one byte of type and flags, then 1 to 4 bytes of remaining length [MQTT-2.2.3]
      let remaining = 0
      let multiplier = 1
      let i = pos + 1
      let complete = false
      while (i < end) {
        const byte = buf[i++] as number
        remaining += (byte & 0x7f) * multiplier
        if ((byte & 0x80) === 0) {
          complete = true
          break
        }
        multiplier *= 128
        if (i - pos > 4) throw protocolViolation(RC.malformedPacket, 'remaining length is longer than four bytes')
      }
      if (!complete) {
        // The header is cut short: any further byte may complete it.
        this.keep(buf, pos, end - pos + 1)
        return
      }
      const headerLength = i - pos
      const total = headerLength + remaining
      if (total > this.maxPacketSize) {
        throw protocolViolation(RC.packetTooLarge, `packet of ${total} bytes exceeds the maximum packet size ${this.maxPacketSize}`)
      }
      if (end - pos < total) {
        this.keep(buf, pos, total)
        return
      }
      const frame = buf.subarray(pos, pos + total)
      pos += total
      sink(this.decode(frame, headerLength), total)
    }
  }

  /** Forget any partial packet (the connection is going away). */
  reset(): void {
    this.pending = undefined
    this.pendingLength = 0
  }

  private keep(buf: Buffer, from: number, needed: number): void {
    // Copy the tail: the socket's buffer may be much larger than what is kept.
    this.pending = [Buffer.from(buf.subarray(from))]
    this.pendingLength = buf.length - from
    this.needed = needed
  }

  private decode(frame: Buffer, headerLength: number): Packet | InboundPublish {
    const type = (frame[0] as number) >> 4
    // The acknowledgements of QoS 1/2 flows in their short form, without the library [MQTT-3.4..3.7]
    if (frame.length === 4 && type >= 4 && type <= 7 && (frame[0] as number) === ACK_HEADERS[type - 4]) {
      return { cmd: ACK_COMMANDS[type - 4] as 'puback', messageId: frame.readUInt16BE(2) }
    }
    if (type === 1) checkProtocolLevel(frame, headerLength)
    if (type === 3) {
      const fast = decodePublish(frame, headerLength, this.version)
      if (fast !== undefined) return fast
      const packet = decodeWithLibrary(frame, this.version) as mqtt.IPublishPacket
      const topicLength = frame.readUInt16BE(headerLength)
      if (!isUtf8(frame.subarray(headerLength + 2, headerLength + 2 + topicLength))) {
        throw protocolViolation(RC.malformedPacket, 'PUBLISH topic is not well-formed UTF-8')
      }
      return packet as InboundPublish
    }
    return decodeWithLibrary(frame, this.version)
  }
}
