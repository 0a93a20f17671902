import { connect as connectTcp, type Socket } from 'node:net'
import mqttPacket from 'mqtt-packet'

/**
 * The load generator's MQTT client: a raw TCP socket, packets encoded once by mqtt-packet, and a
 * frame splitter that reads only what the benchmark needs (type, packet id, payload offset) instead of
 * decoding every packet. It stays cheap so that the machine's CPU goes to the broker under test.
 * MQTT 3.1.1 only: every broker under test speaks it the same way.
 */

/** MQTT control packet types (MQTT 3.1.1 §2.2.1). */
export const PacketType = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9, PINGRESP: 13 } as const

/** Called for each PUBLISH received: the frame, where its payload starts and ends, its QoS and id. */
export type OnPublish = (frame: Buffer, payloadStart: number, payloadEnd: number, qos: number, packetId: number) => void

export interface WireOptions {
  port: number
  host?: string
  clientId: string
  /** Clean session (3.1.1 §3.1.2.4); default true. */
  clean?: boolean
  /** Keep alive in seconds; default 0 (off), so idle benchmark connections send nothing. */
  keepalive?: number
  /** Give up connecting after this many milliseconds. */
  timeoutMs?: number
}

/** One benchmark connection. */
export class WireClient {
  /** Called for each PUBLISH; set before subscribing. */
  onPublish: OnPublish = () => {}
  /** Called with the packet id of each PUBACK (publisher side of QoS 1). */
  onPuback: (packetId: number) => void = () => {}
  private pending: Buffer | undefined
  private waiters: Array<{ type: number; resolve: (frame: Buffer) => void; reject: (error: Error) => void }> = []
  private closedError: Error | undefined
  /** PUBACKs owed to the broker, written once per received chunk (batched). */
  private acks: number[] = []

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.readChunk(chunk))
    socket.on('error', (error) => this.fail(error))
    socket.on('close', () => this.fail(new Error('connection closed by the broker')))
  }

  /** Open a TCP connection and complete CONNECT/CONNACK; rejects on a refusal or timeout. */
  static async connect(options: WireOptions): Promise<WireClient> {
    const socket = connectTcp({ port: options.port, host: options.host ?? '127.0.0.1' })
    const client = new WireClient(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: options.clientId,
        clean: options.clean ?? true,
        keepalive: options.keepalive ?? 0,
      }),
    )
    try {
      const connack = await client.expect(PacketType.CONNACK, options.timeoutMs ?? 10_000)
      // byte 3 of CONNACK is the return code (3.1.1 §3.2.2.3)
      if (connack[3] !== 0) throw new Error(`CONNACK refused the connection with return code ${connack[3]}`)
      return client
    } catch (error) {
      client.destroy()
      throw error
    }
  }

  /** Subscribe to one filter and wait for the SUBACK; rejects when the broker refuses it. */
  async subscribe(filter: string, qos: 0 | 1, timeoutMs = 10_000): Promise<void> {
    this.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] }))
    const suback = await this.expect(PacketType.SUBACK, timeoutMs)
    const granted = suback[suback.length - 1] as number
    if (granted >= 0x80) throw new Error(`SUBACK refused ${filter} with ${granted}`)
  }

  /**
   * Write bytes; returns undefined when the socket took them, else a promise that resolves when it
   * drains (back-pressure) or closes (so that no publisher waits forever on a dead connection).
   */
  write(bytes: Buffer): Promise<void> | undefined {
    if (this.closedError !== undefined) throw this.closedError
    if (this.socket.write(bytes)) return undefined
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.once('drain', done)
      this.socket.once('close', done)
    })
  }

  /** Close the connection without DISCONNECT handshakes lingering. */
  destroy(): void {
    this.socket.destroy()
  }

  /** Send DISCONNECT and end the socket. */
  async disconnect(): Promise<void> {
    if (this.socket.destroyed) return
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }))
      setTimeout(() => {
        this.socket.destroy()
        resolve()
      }, 2_000).unref()
    })
  }

  private expect(type: number, timeoutMs: number): Promise<Buffer> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no packet of type ${type} within ${timeoutMs} ms`)), timeoutMs)
      this.waiters.push({
        type,
        resolve: (frame) => {
          clearTimeout(timer)
          resolve(frame)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
    })
  }

  private fail(error: Error): void {
    this.closedError ??= error
    for (const waiter of this.waiters.splice(0)) waiter.reject(error)
  }

  /** Split the stream into frames: fixed header byte, Remaining Length varint (3.1.1 §2.2.3), body. */
  private readChunk(chunk: Buffer): void {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    let offset = 0
    while (buf.length - offset >= 2) {
      let length = 0
      let multiplier = 1
      let pos = offset + 1
      let complete = false
      for (let i = 0; i < 4 && pos < buf.length; i++) {
        const byte = buf[pos++] as number
        length += (byte & 0x7f) * multiplier
        multiplier *= 128
        if ((byte & 0x80) === 0) {
          complete = true
          break
        }
      }
      if (!complete || pos + length > buf.length) break
      this.dispatch(buf, offset, pos, pos + length)
      offset = pos + length
    }
    this.pending = offset < buf.length ? buf.subarray(offset) : undefined
    if (this.acks.length > 0) this.flushAcks()
  }

  private dispatch(buf: Buffer, start: number, bodyStart: number, end: number): void {
    const header = buf[start] as number
    const type = header >> 4
    if (type === PacketType.PUBLISH) {
      const qos = (header >> 1) & 3
      const topicLength = buf.readUInt16BE(bodyStart)
      let payloadStart = bodyStart + 2 + topicLength
      let packetId = 0
      if (qos > 0) {
        packetId = buf.readUInt16BE(payloadStart)
        payloadStart += 2
        this.acks.push(packetId)
      }
      this.onPublish(buf, payloadStart, end, qos, packetId)
      return
    }
    if (type === PacketType.PUBACK) {
      this.onPuback(buf.readUInt16BE(bodyStart))
      return
    }
    const index = this.waiters.findIndex((w) => w.type === type)
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1)
      waiter?.resolve(Buffer.from(buf.subarray(start, end)))
    }
  }

  /** One write for every PUBACK owed from this chunk (QoS 1 subscriber side, 3.1.1 §4.3.2). */
  private flushAcks(): void {
    const out = Buffer.allocUnsafe(this.acks.length * 4)
    let pos = 0
    for (const id of this.acks) {
      out[pos] = 0x40
      out[pos + 1] = 2
      out.writeUInt16BE(id, pos + 2)
      pos += 4
    }
    this.acks.length = 0
    this.socket.write(out)
  }
}

/**
 * A PUBLISH encoded once, as a template: QoS 0 frames are reused as they are; for QoS 1 the copies get
 * their own packet id written in place (`packetIdOffset`).
 */
export interface PublishTemplate {
  frame: Buffer
  packetIdOffset: number
}

/** Encode a PUBLISH once with mqtt-packet and note where its packet id sits. */
export function encodePublish(topic: string, payload: Buffer, qos: 0 | 1): PublishTemplate {
  const frame = mqttPacket.generate({ cmd: 'publish', topic, payload, qos, messageId: qos > 0 ? 1 : undefined, retain: false, dup: false })
  // packet id follows the topic: the payload length fixes where the header ends
  const packetIdOffset = qos > 0 ? frame.length - payload.length - 2 : -1
  return { frame, packetIdOffset }
}
