import { isExpired, type Message, type QoS } from '../message.js'
import type { OutgoingEntry, SessionRecord, StoredSubscription } from '../store/session-store.js'
import type { Connection } from './connection.js'
import type { MqttCore } from './mqtt-core.js'
import type { Subscriber, Subscription } from './subscriptions.js'

/** A QoS 1/2 message on its way to the client (queued, sent, or released after PUBREC). */
export interface Outgoing {
  state: OutgoingEntry['state']
  qos: 1 | 2
  message: Message
  retain: boolean
  packetId: number
  subscriptionIds?: number[]
  /** Store sequence number, once the store has assigned one (persistent sessions only). */
  seq?: number
  /** Settles when the store holds this entry. */
  stored?: Promise<void>
}

/**
 * An MQTT session (MQTT 5.0 §4.1): subscriptions, QoS 1/2 messages in flight both ways and the queue
 * of messages waiting for the Receive Maximum window or for the client to come back. A session that
 * outlives its connection mirrors every change into the SessionStore; a clean one stays in memory.
 */
export class Session implements Subscriber {
  connection: Connection | undefined
  /** Session Expiry Interval in seconds (0: ends with the connection). */
  expiryInterval: number
  protocolVersion: 3 | 4 | 5
  disconnectedAt: number | undefined
  /** Whether the store holds this session (it did outlive a connection at some point). */
  stored = false
  subscriptions: Map<string, Subscription> | undefined
  inflight: Map<number, Outgoing> | undefined
  queue: Outgoing[] | undefined
  queuedBytes = 0
  /** QoS 2 packet ids received and awaiting PUBREL [MQTT-4.3.3-9]. */
  incoming: Set<number> | undefined
  private nextPacketId = 1

  constructor(
    readonly id: string,
    private readonly core: MqttCore,
    expiryInterval: number,
    protocolVersion: 3 | 4 | 5,
  ) {
    this.expiryInterval = expiryInterval
    this.protocolVersion = protocolVersion
  }

  get persistent(): boolean {
    return this.expiryInterval > 0
  }

  get queuedCount(): number {
    return this.queue?.length ?? 0
  }

  /** Called by the broker for every message that matches one of this session's subscriptions. */
  deliver(message: Message, subscription: Subscription): void | Promise<void> {
    const qos = message.qos < subscription.qos ? message.qos : subscription.qos
    const connection = this.connection
    // [MQTT-3.3.1-9] 3.1.1 clears RETAIN on forwarded messages; 5.0 keeps it with Retain As Published
    const retain = message.retain && subscription.retainAsPublished && this.protocolVersion === 5
    if (qos === 0) {
      // QoS 0 is not queued for offline sessions (as mosquitto's default queue_qos0_messages false).
      if (connection === undefined || !connection.connected) return
      if (connection.congested) {
        this.core.dropMessage(message, 'slow subscriber', this.id)
        return
      }
      connection.sendPublish(message, 0, retain, 0, false, subscription.subscriptionId === undefined ? undefined : [subscription.subscriptionId])
      return
    }
    return this.deliverReliable(message, qos, retain, subscription.subscriptionId === undefined ? undefined : [subscription.subscriptionId])
  }

  /** Send or queue a QoS 1/2 message; returns a promise while a persistent session stores it. */
  deliverReliable(message: Message, qos: 1 | 2, retain: boolean, subscriptionIds: number[] | undefined): Promise<void> | undefined {
    const entry: Outgoing = { state: 'queued', qos, message, retain, packetId: 0, subscriptionIds }
    const connection = this.connection
    if (connection !== undefined && connection.connected && this.canSend(connection) && this.queuedCount === 0) {
      return this.send(connection, entry) ? this.persist(entry) : undefined
    }
    if (!this.admit(entry)) return undefined
    return this.persist(entry)
  }

  /** Add to the queue under limits.maxQueuedMessages / maxQueuedBytes and the drop policy. */
  private admit(entry: Outgoing): boolean {
    const limits = this.core.limits
    this.queue ??= []
    const size = entry.message.payload.length
    while (this.queue.length >= limits.maxQueuedMessages || this.queuedBytes + size > limits.maxQueuedBytes) {
      if (limits.queueDropPolicy === 'drop-new' || this.queue.length === 0) {
        this.core.dropMessage(entry.message, 'session queue full', this.id)
        return false
      }
      const oldest = this.queue.shift() as Outgoing
      this.queuedBytes -= oldest.message.payload.length
      this.unstore(oldest)
      this.core.dropMessage(oldest.message, 'session queue full (oldest dropped)', this.id)
    }
    this.queue.push(entry)
    this.queuedBytes += size
    return true
  }

  private canSend(connection: Connection): boolean {
    return (this.inflight?.size ?? 0) < connection.sendQuota && !connection.congested
  }

  private allocatePacketId(): number {
    this.inflight ??= new Map()
    // Skip identifiers still in flight [MQTT-2.2.1-3]; the window is far below 65535.
    for (;;) {
      const id = this.nextPacketId
      this.nextPacketId = id === 65535 ? 1 : id + 1
      if (!this.inflight.has(id)) return id
    }
  }

  /** Send with a new packet id; false when the client's Maximum Packet Size made it a drop. */
  private send(connection: Connection, entry: Outgoing): boolean {
    entry.packetId = this.allocatePacketId()
    if (!connection.sendPublish(entry.message, entry.qos, entry.retain, entry.packetId, false, entry.subscriptionIds)) {
      // Too large for the client: discarded as if delivered [MQTT-3.1.2-25]
      this.unstore(entry)
      return false
    }
    entry.state = 'sent'
    ;(this.inflight as Map<number, Outgoing>).set(entry.packetId, entry)
    return true
  }

  private persist(entry: Outgoing): Promise<void> | undefined {
    if (!this.stored) return undefined
    const store = this.core.deps.sessions
    const { state, qos, message, retain, subscriptionIds } = entry
    const input = state === 'queued' ? { state, qos, message, retain, subscriptionIds } : { state, qos, message, retain, subscriptionIds, packetId: entry.packetId }
    entry.stored = store.enqueue(this.id, input).then((stored) => {
      entry.seq = stored.seq
    })
    return entry.stored
  }

  /** Run a store update once the entry itself is stored. */
  private afterStored(entry: Outgoing, update: (seq: number) => Promise<void>): Promise<void> | undefined {
    if (!this.stored || entry.stored === undefined) return undefined
    return entry.stored
      .then(() => update(entry.seq as number))
      .catch((error: unknown) => this.core.deps.log.error({ err: error, clientId: this.id }, 'session store update failed'))
  }

  private unstore(entry: Outgoing): void {
    this.afterStored(entry, (seq) => this.core.deps.sessions.removeOutgoing(this.id, seq))
  }

  /** Send queued messages while the client's Receive Maximum and the socket allow. */
  pump(): void {
    const connection = this.connection
    const queue = this.queue
    if (connection === undefined || !connection.connected || queue === undefined) return
    while (queue.length > 0 && this.canSend(connection)) {
      const entry = queue.shift() as Outgoing
      this.queuedBytes -= entry.message.payload.length
      if (isExpired(entry.message)) {
        // Message expiry: not sent once its interval has passed (MQTT 5.0 §3.3.2.3.3)
        this.unstore(entry)
        this.core.dropMessage(entry.message, 'message expired in queue', this.id)
        continue
      }
      if (this.send(connection, entry)) this.afterStored(entry, (seq) => this.core.deps.sessions.markSent(this.id, seq, entry.packetId))
    }
    if (queue.length === 0) this.queue = undefined
  }

  /** PUBACK, PUBCOMP, or PUBREC with an error code: the packet id is free again. */
  complete(packetId: number): boolean {
    const entry = this.inflight?.get(packetId)
    if (entry === undefined) return false
    this.inflight?.delete(packetId)
    this.afterStored(entry, () => this.core.deps.sessions.acknowledge(this.id, packetId))
    return true
  }

  /**
   * PUBREC: the message body is no longer needed; PUBREL goes out. Returns false for an unknown packet
   * id, else the store update (undefined for a session that is not stored).
   */
  release(packetId: number): false | Promise<void> | undefined {
    const entry = this.inflight?.get(packetId)
    if (entry === undefined || entry.qos !== 2) return false
    entry.state = 'released'
    // The caller sends PUBREL once this is stored: a hub restarted after a crash must resume with
    // PUBREL, not with the PUBLISH, which the client would deliver a second time (MQTT 5.0 §4.3.3).
    return this.afterStored(entry, () => this.core.deps.sessions.markReleased(this.id, packetId))
  }

  /**
   * Resume on a new connection: resend unacknowledged PUBLISHes with DUP set and PUBRELs
   * [MQTT-4.4.0-1], then the queue.
   */
  resume(connection: Connection): void {
    for (const entry of this.inflight?.values() ?? []) {
      if (entry.state === 'released') connection.writeAck('pubrel', entry.packetId)
      else if (!connection.sendPublish(entry.message, entry.qos, entry.retain, entry.packetId, true, entry.subscriptionIds)) this.complete(entry.packetId)
    }
    this.pump()
  }

  /** Restore in-flight and queued entries read from the store (hub restart). */
  restoreOutgoing(entries: OutgoingEntry[]): void {
    for (const e of entries) {
      if (e.qos === 0) continue
      const entry: Outgoing = { state: e.state, qos: e.qos, message: e.message, retain: e.retain, packetId: e.packetId ?? 0, subscriptionIds: e.subscriptionIds, seq: e.seq, stored: Promise.resolve() }
      if (e.state === 'queued' || e.packetId === undefined) {
        entry.state = 'queued'
        ;(this.queue ??= []).push(entry)
        this.queuedBytes += e.message.payload.length
      } else {
        ;(this.inflight ??= new Map()).set(e.packetId, entry)
        if (e.packetId >= this.nextPacketId) this.nextPacketId = e.packetId === 65535 ? 1 : e.packetId + 1
      }
    }
  }

  /** The subscriptions in the store's shape. */
  storedSubscriptions(): StoredSubscription[] {
    const out: StoredSubscription[] = []
    for (const [filter, s] of this.subscriptions ?? []) {
      const stored: StoredSubscription = { filter, qos: s.qos as QoS, noLocal: s.noLocal, retainAsPublished: s.retainAsPublished, retainHandling: s.retainHandling }
      if (s.subscriptionId !== undefined) stored.subscriptionId = s.subscriptionId
      out.push(stored)
    }
    return out
  }

  /** The session as the store keeps it. */
  record(): SessionRecord {
    const record: SessionRecord = {
      clientId: this.id,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      subscriptions: this.storedSubscriptions(),
    }
    if (this.disconnectedAt !== undefined) record.disconnectedAt = this.disconnectedAt
    const will = this.core.wills.pendingFor(this.id)
    if (will !== undefined) record.will = will
    return record
  }
}
