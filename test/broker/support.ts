import { once, type EventEmitter } from 'node:events'
import { connect as netConnect, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { portOf } from '../helpers/hub.js'
import type { Hub } from '../../src/index.js'

/** The transports and protocol levels every broker feature is driven over. */
export const VARIANTS = [
  { transport: 'tcp', protocolVersion: 4 },
  { transport: 'tcp', protocolVersion: 5 },
  { transport: 'ws', protocolVersion: 4 },
  { transport: 'ws', protocolVersion: 5 },
] as const

export type Variant = (typeof VARIANTS)[number]

export function describeVariant(v: { transport: string; protocolVersion: number }): string {
  return `${v.transport === 'ws' ? 'WebSocket' : 'TCP'} MQTT ${v.protocolVersion === 5 ? '5.0' : v.protocolVersion === 4 ? '3.1.1' : '3.1'}`
}

let ids = 0

/** A unique client id for one test. */
export function clientId(prefix = 'c'): string {
  return `${prefix}-${process.pid}-${++ids}`
}

/** The URL of the hub's MQTT listener for a transport. */
export function urlOf(hub: Hub, transport: 'tcp' | 'ws'): string {
  return transport === 'ws' ? `ws://127.0.0.1:${portOf(hub, 'ws')}/mqtt` : `mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`
}

/** An MQTT.js client connected to the hub, ended after the test; no automatic reconnect. */
export async function connectClient(
  t: TestContext,
  hub: Hub,
  variant: { transport: 'tcp' | 'ws'; protocolVersion: 3 | 4 | 5 },
  options: IClientOptions = {},
): Promise<MqttClient> {
  const client = await mqtt.connectAsync(urlOf(hub, variant.transport), {
    protocolVersion: variant.protocolVersion,
    clientId: clientId(),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  })
  t.after(() => client.end(true))
  return client
}

/**
 * An MQTT.js client that connects only when `connect()` is called, so that handlers (messages,
 * CONNACK) are in place before the session resumes. Ended after the test.
 */
export function createClient(
  t: TestContext,
  hub: Hub,
  variant: { transport: 'tcp' | 'ws'; protocolVersion: 3 | 4 | 5 },
  options: IClientOptions = {},
): MqttClient {
  const client = mqtt.connect(urlOf(hub, variant.transport), {
    protocolVersion: variant.protocolVersion,
    clientId: clientId(),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
    manualConnect: true,
  })
  t.after(() => client.end(true))
  return client
}

/** Resolve with the next `count` messages the client receives; fail after `ms`. */
export function collect(client: MqttClient, count: number, ms = 5000): Promise<Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }>> {
  return new Promise((resolve, reject) => {
    const got: Array<{ topic: string; payload: Buffer; packet: mqtt.IPublishPacket }> = []
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      reject(new Error(`expected ${count} messages, got ${got.length} within ${ms} ms`))
    }, ms)
    function onMessage(topic: string, payload: Buffer, packet: mqtt.IPublishPacket): void {
      got.push({ topic, payload, packet })
      if (got.length === count) {
        clearTimeout(timer)
        client.off('message', onMessage)
        resolve(got)
      }
    }
    client.on('message', onMessage)
  })
}

/** Resolve when nothing arrives for `ms` (asserting the absence of a message). */
export async function expectNoMessage(client: MqttClient, ms = 300): Promise<void> {
  let received: string | undefined
  const onMessage = (topic: string): void => {
    received = topic
  }
  client.on('message', onMessage)
  await new Promise((r) => setTimeout(r, ms))
  client.off('message', onMessage)
  if (received !== undefined) throw new Error(`unexpected message on ${received}`)
}

/** Wait for an event with a safety timeout that fails the test. */
export async function within<T>(promise: Promise<T>, ms = 5000, what = 'event'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Wait for one event of an emitter (MQTT.js clients' typed emitters included) with a safety timeout. */
export function nextEvent(emitter: object, name: string, ms = 5000): Promise<unknown[]> {
  return within(once(emitter as EventEmitter, name), ms, `'${name}'`)
}

/** A raw TCP connection that speaks mqtt-packet, for bad input and exact packet checks. */
export class RawClient {
  readonly packets: Packet[] = []
  private readonly parser: ReturnType<typeof mqttPacket.parser>
  private waiters: Array<() => void> = []
  closed = false

  private constructor(
    readonly socket: Socket,
    readonly protocolVersion: 3 | 4 | 5,
  ) {
    this.parser = mqttPacket.parser({ protocolVersion })
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p)
      this.wake()
    })
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk))
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
    socket.on('error', () => {})
  }

  static async open(t: TestContext, hub: Hub, protocolVersion: 3 | 4 | 5 = 4): Promise<RawClient> {
    const socket = netConnect(portOf(hub, 'mqtt'), '127.0.0.1')
    await once(socket, 'connect')
    const raw = new RawClient(socket, protocolVersion)
    t.after(() => socket.destroy())
    return raw
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }))
  }

  sendBytes(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes))
  }

  /** CONNECT and wait for CONNACK. */
  async connect(fields: Partial<mqttPacket.IConnectPacket> = {}): Promise<mqttPacket.IConnackPacket> {
    this.send({ cmd: 'connect', protocolId: this.protocolVersion === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: this.protocolVersion, clientId: clientId('raw'), clean: true, keepalive: 0, ...fields } as Packet)
    return (await this.next('connack')) as mqttPacket.IConnackPacket
  }

  /** The next packet of this type (already received or to come); fails after `ms`. */
  async next(cmd: Packet['cmd'], ms = 5000): Promise<Packet> {
    const deadline = Date.now() + ms
    for (;;) {
      const index = this.packets.findIndex((p) => p.cmd === cmd)
      if (index >= 0) return this.packets.splice(index, 1)[0] as Packet
      if (this.closed) throw new Error(`connection closed before ${cmd}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${cmd} within ${ms} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Resolves when the hub closes the connection; fails after `ms`. */
  async waitClosed(ms = 5000): Promise<void> {
    if (this.closed) return
    await within(once(this.socket, 'close'), ms, 'the hub to close the connection')
  }
}
