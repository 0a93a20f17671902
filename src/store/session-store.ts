import type { Message, QoS } from '../message.js'

/** One subscription as a persistent session keeps it (MQTT 5.0 §3.8.3.1 subscription options). */
export interface StoredSubscription {
  filter: string
  qos: QoS
  noLocal?: boolean
  retainAsPublished?: boolean
  retainHandling?: 0 | 1 | 2
  subscriptionId?: number
}

/** A will message waiting for its Will Delay Interval (MQTT 5.0 §3.1.3.2). */
export interface PendingWill {
  message: Message
  /** Wall-clock milliseconds when the will is to be published. */
  publishAt: number
}

/** The state of a session that outlives its connection. */
export interface SessionRecord {
  clientId: string
  protocolVersion: 3 | 4 | 5
  /** Session Expiry Interval in seconds; 0xFFFFFFFF never expires (MQTT 5.0 §3.1.2.11.2). */
  expiryInterval: number
  subscriptions: StoredSubscription[]
  /** Wall-clock milliseconds when the client went offline; undefined while it is connected. */
  disconnectedAt?: number
  will?: PendingWill
}

/**
 * A message on its way to a client: queued (not known to be sent), sent (awaiting PUBACK or PUBREC)
 * or released (QoS 2: PUBREC received, PUBREL sent, awaiting PUBCOMP; the message body is no longer
 * needed).
 */
export interface OutgoingEntry {
  /** Order of arrival, assigned by the store. */
  seq: number
  state: 'queued' | 'sent' | 'released'
  /**
   * Always set once sent. A queued entry may hold one too: the broker assigns the packet id when it
   * queues the message for a session that has ids to spare, so that sending it needs no store write.
   * Such an entry may have been sent before a restart and is sent again with that id and DUP set
   * [MQTT-4.4.0-1].
   */
  packetId?: number
  /** The QoS of this delivery: min(message QoS, granted QoS). */
  qos: QoS
  message: Message
  /** Retain flag as delivered (retain-as-published or a retained message sent on subscribe). */
  retain: boolean
  subscriptionIds?: number[]
}

export type OutgoingInput = Omit<OutgoingEntry, 'seq'>

/** What enqueue() gives back at once: the entry's sequence number, and when the entry is durable. */
export interface Enqueued {
  seq: number
  stored: Promise<void>
}

/**
 * Persistent sessions, their subscriptions, offline queues and in-flight QoS 1/2 state in both
 * directions. Every implementation runs test/contract/session-store.contract.ts. A write's promise
 * resolves once the state is durable for that store (immediately for memory). Writes apply in the
 * order they are made, whether or not earlier ones are durable yet. The store logs a failed write and
 * never leaves its promise an unhandled rejection, so a caller that need not wait may ignore it.
 */
export interface SessionStore {
  get(clientId: string): Promise<SessionRecord | undefined>
  save(session: SessionRecord): Promise<void>
  /** Remove the session and everything queued or in flight for it. */
  delete(clientId: string): Promise<void>
  list(): Promise<SessionRecord[]>

  /**
   * Append an outgoing message. The sequence number comes back at once, so later updates need not
   * wait; they apply in the order they are made.
   */
  enqueue(clientId: string, entry: OutgoingInput): Enqueued
  /** The entry was sent with this packet id. */
  markSent(clientId: string, seq: number, packetId: number): Promise<void>
  /** QoS 2: PUBREC arrived for this packet id, PUBREL is out. */
  markReleased(clientId: string, packetId: number): Promise<void>
  /** PUBACK or PUBCOMP arrived: the entry holding this packet id (sent, or queued with it) is done. */
  acknowledge(clientId: string, packetId: number): Promise<void>
  /** Drop one entry by sequence (queue limits, expiry). */
  removeOutgoing(clientId: string, seq: number): Promise<void>
  /** All outgoing entries in order of arrival. */
  outgoing(clientId: string): Promise<OutgoingEntry[]>
  /** Number and payload bytes of the entries still queued (not yet sent). */
  queueSize(clientId: string): Promise<{ count: number; bytes: number }>

  /** QoS 2 inbound: packet ids received with PUBLISH and awaiting PUBREL [MQTT-4.3.3-9]. */
  addIncoming(clientId: string, packetId: number): Promise<void>
  removeIncoming(clientId: string, packetId: number): Promise<void>
  incoming(clientId: string): Promise<number[]>

  close(): Promise<void>
}
