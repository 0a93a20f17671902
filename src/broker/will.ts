import type { IConnectPacket } from 'mqtt-packet'
import { createMessage, type Message, type MessageProperties, type Origin, type QoS } from '../message.js'
import type { PendingWill } from '../store/session-store.js'
import { toMessageProperties } from './message-properties.js'

/** A will as CONNECT declared it (MQTT 5.0 §3.1.3.2); it becomes a message only when published. */
export interface WillSpec {
  topic: string
  payload: Buffer
  qos: QoS
  retain: boolean
  properties: MessageProperties
  /** Will Delay Interval in seconds (5.0 only; 0 for 3.1.1). */
  delay: number
}

type ConnectWill = NonNullable<IConnectPacket['will']>

/** The will of a CONNECT packet. */
export function readWill(will: ConnectWill): WillSpec {
  const p = will.properties ?? {}
  const properties = toMessageProperties(p)
  return {
    topic: will.topic,
    payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload),
    qos: (will.qos ?? 0) as QoS,
    retain: will.retain ?? false,
    properties,
    delay: p.willDelayInterval ?? 0,
  }
}

/** The will as a hub message, stamped now (its message expiry counts from publication). */
export function willMessage(will: WillSpec, origin: Origin): Message {
  return createMessage({ topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, properties: will.properties }, origin)
}

/**
 * Wills waiting for their Will Delay Interval (MQTT 5.0 §3.1.3.2.2), by client id. The server's sweep
 * timer publishes the due ones, so a pending will costs no timer of its own.
 */
export class WillScheduler {
  private readonly pending = new Map<string, PendingWill>()

  constructor(private readonly publish: (message: Message) => void) {}

  get size(): number {
    return this.pending.size
  }

  schedule(clientId: string, message: Message, publishAt: number): void {
    this.pending.set(clientId, { message, publishAt })
  }

  pendingFor(clientId: string): PendingWill | undefined {
    return this.pending.get(clientId)
  }

  /** The client came back in time: its will is not sent [MQTT-3.1.3-9]. */
  cancel(clientId: string): boolean {
    return this.pending.delete(clientId)
  }

  /** The session ended before the delay passed: publish now (5.0 §3.1.3.2.2, whichever comes first). */
  publishNow(clientId: string): void {
    const will = this.pending.get(clientId)
    if (will === undefined) return
    this.pending.delete(clientId)
    this.publish(will.message)
  }

  /** Publish every will whose time has come; returns the client ids published. */
  publishDue(now: number): string[] {
    const due: string[] = []
    for (const [clientId, will] of this.pending) if (will.publishAt <= now) due.push(clientId)
    for (const clientId of due) this.publishNow(clientId)
    return due
  }
}
