import { isExpired, type Message, type QoS } from '../message.js'
import type { OutgoingEntry, OutgoingInput, SessionRecord, StoredSubscription } from '../store/session-store.js'
import type { Connection } from './connection.js'
import type { MqttCore } from './mqtt-core.js'
import type { Subscriber, Subscription } from './subscriptions.js'

/** A QoS 1/2 message on its way to the client (queued, sent, or released after PUBREC). */
export interface Outgoing {
  state: OutgoingEntry['state']
  qos: 1 | 2
  message: Message
  retain: boolean
  /** 0 until assigned: when a stored session queues it with ids to spare, else when it is sent. */
  packetId: number
  subscriptionIds?: number[]
  /** Store sequence number (entries of a stored session). */
  seq?: number
  /** Restored queued with its packet id: it may have reached the client before the restart. */
  maybeSent?: boolean
  /** A QoS 2 entry held in the queue until the store has committed it (see deliverReliable). */
  holding?: boolean
}

/**
 * A stored session assigns packet ids to queued messages while fewer than this many are in use, so
 * that sending one from the queue needs no store write; the allocator's scan stays short.
 */
const MAX_ASSIGNED_PACKET_IDS = 32_768

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
  /** Packet ids assigned to queued entries (stored sessions, see MAX_ASSIGNED_PACKET_IDS). */
  assignedIds: Set<number> | undefined
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

  /**
   * Send or queue a QoS 1/2 message; returns a promise while a persistent session stores it.
   *
   * A stored session holds a QoS 2 message in its queue until the store has committed it. Sent any
   * sooner, a crash before that commit would lose both this entry and the publisher's QoS 2 state,
   * so the publisher's resend would reach the subscriber a second time as a new message. QoS 1 goes
   * out at once: a duplicate is within its contract. Later messages queue behind a held one, so
   * order is kept [MQTT-4.6.0-6].
   */
  deliverReliable(message: Message, qos: 1 | 2, retain: boolean, subscriptionIds: number[] | undefined): Promise<void> | undefined {
    const entry: Outgoing = { state: 'queued', qos, message, retain, packetId: 0, subscriptionIds }
    const connection = this.connection
    const hold = qos === 2 && this.stored
    if (!hold && connection !== undefined && connection.connected && this.canSend(connection) && this.queuedCount === 0) {
      return this.send(connection, entry) ? this.persist(entry) : undefined
    }
    if (!this.admit(entry)) return undefined
    if (this.stored) this.assignPacketId(entry)
    const stored = this.persist(entry)
    if (hold && stored !== undefined) {
      entry.holding = true
      const release = () => {
        entry.holding = false
        this.pump()
      }
      // a failed write is logged by the store; the message goes out all the same rather than block the queue
      stored.then(release, release)
    }
    return stored
  }

  /**
   * Give a queued entry of a stored session its packet id now: the store records it with the entry,
   * and after a restart the entry goes out with that id and DUP set, so that a QoS 2 message the
   * client already has is not delivered twice [MQTT-4.3.3-9].
   */
  private assignPacketId(entry: Outgoing): void {
    const assigned = this.assignedIds ??= new Set()
    if ((this.inflight?.size ?? 0) + assigned.size >= MAX_ASSIGNED_PACKET_IDS) return
    entry.packetId = this.allocatePacketId()
    assigned.add(entry.packetId)
  }

  /** An entry leaves the queue without being sent: its assigned packet id is free again. */
  private freeAssignedId(entry: Outgoing): void {
    if (entry.packetId !== 0) this.assignedIds?.delete(entry.packetId)
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
      this.freeAssignedId(oldest)
      this.unstore(oldest)
      this.core.dropMessage(oldest.message, 'session queue full (oldest dropped)', this.id)
    }
    this.queue.push(entry)
    this.queuedBytes += size
    return true
  }

  /** Within the client's Receive Maximum, and with a packet id free for the send (65,535 in all). */
  private canSend(connection: Connection): boolean {
    const inflight = this.inflight?.size ?? 0
    return inflight < connection.sendQuota && inflight + (this.assignedIds?.size ?? 0) < 65535 && !connection.congested
  }

  private allocatePacketId(): number {
    // Skip identifiers still in use [MQTT-2.2.1-3]; at most half the space is ever taken.
    for (;;) {
      const id = this.nextPacketId
      this.nextPacketId = id === 65535 ? 1 : id + 1
      if (this.inflight?.has(id) !== true && this.assignedIds?.has(id) !== true) return id
    }
  }

  /**
   * Send with the entry's assigned packet id or a new one; false when the client's Maximum Packet
   * Size made it a drop.
   */
  private send(connection: Connection, entry: Outgoing): boolean {
    if (entry.packetId === 0) entry.packetId = this.allocatePacketId()
    else this.assignedIds?.delete(entry.packetId)
    if (!connection.sendPublish(entry.message, entry.qos, entry.retain, entry.packetId, entry.maybeSent === true, entry.subscriptionIds)) {
      // Too large for the client: discarded as if delivered [MQTT-3.1.2-25]
      this.unstore(entry)
      return false
    }
    entry.state = 'sent'
    ;(this.inflight ??= new Map()).set(entry.packetId, entry)
    return true
  }

  /** Record a new entry of a stored session; returns the promise of its durability. */
  private persist(entry: Outgoing): Promise<void> | undefined {
    if (!this.stored) return undefined
    const { state, qos, message, retain, subscriptionIds, packetId } = entry
    const input: OutgoingInput = packetId === 0 ? { state, qos, message, retain, subscriptionIds } : { state, qos, message, retain, subscriptionIds, packetId }
    const { seq, stored } = this.core.deps.sessions.enqueue(this.id, input)
    entry.seq = seq
    return stored
  }

  /** The store's sequence number of an entry it holds for this session, if any. */
  private storedSeq(entry: Outgoing): number | undefined {
    return this.stored ? entry.seq : undefined
  }

  private unstore(entry: Outgoing): void {
    const seq = this.storedSeq(entry)
    // Bookkeeping writes are not waited for; the store logs a failed write.
    if (seq !== undefined) void this.core.deps.sessions.removeOutgoing(this.id, seq)
  }

  /** Send queued messages while the client's Receive Maximum and the socket allow. */
  pump(): void {
    const connection = this.connection
    const queue = this.queue
    if (connection === undefined || !connection.connected || queue === undefined) return
    while (queue.length > 0 && this.canSend(connection)) {
      if ((queue[0] as Outgoing).holding === true) break
      const entry = queue.shift() as Outgoing
      this.queuedBytes -= entry.message.payload.length
      if (isExpired(entry.message)) {
        // Message expiry: not sent once its interval has passed (MQTT 5.0 §3.3.2.3.3)
        this.freeAssignedId(entry)
        this.unstore(entry)
        this.core.dropMessage(entry.message, 'message expired in queue', this.id)
        continue
      }
      const hadPacketId = entry.packetId !== 0
      if (!this.send(connection, entry) || hadPacketId) continue
      const seq = this.storedSeq(entry)
      if (seq !== undefined) void this.core.deps.sessions.markSent(this.id, seq, entry.packetId)
    }
    if (queue.length === 0) this.queue = undefined
  }

  /** PUBACK, PUBCOMP, or PUBREC with an error code: the packet id is free again. */
  complete(packetId: number): boolean {
    const entry = this.inflight?.get(packetId)
    if (entry === undefined) return false
    this.inflight?.delete(packetId)
    if (this.storedSeq(entry) !== undefined) void this.core.deps.sessions.acknowledge(this.id, packetId)
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
    return this.storedSeq(entry) === undefined ? undefined : this.core.deps.sessions.markReleased(this.id, packetId)
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
      const entry: Outgoing = { state: e.state, qos: e.qos, message: e.message, retain: e.retain, packetId: e.packetId ?? 0, subscriptionIds: e.subscriptionIds, seq: e.seq }
      if (e.packetId !== undefined && e.packetId >= this.nextPacketId) this.nextPacketId = e.packetId === 65535 ? 1 : e.packetId + 1
      if (e.state === 'queued' || e.packetId === undefined) {
        entry.state = 'queued'
        if (e.packetId !== undefined) {
          entry.maybeSent = true
          ;(this.assignedIds ??= new Set()).add(e.packetId)
        }
        ;(this.queue ??= []).push(entry)
        this.queuedBytes += e.message.payload.length
      } else {
        ;(this.inflight ??= new Map()).set(e.packetId, entry)
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
