import type { Packet } from 'mqtt-packet'
import type { HubConfig } from '../config/schema.js'
import type { Message } from '../message.js'
import type { Broker } from './broker.js'
import { ticks } from './clock.js'
import type { Connection } from './connection.js'
import { protocolViolation, type InboundPublish } from './frame-reader.js'
import { handleAck, handlePubrel } from './handlers/acks.js'
import { handleConnect } from './handlers/connect.js'
import { handleDisconnect } from './handlers/disconnect.js'
import { handlePublish } from './handlers/publish.js'
import { handleSubscribe } from './handlers/subscribe.js'
import { handleUnsubscribe } from './handlers/unsubscribe.js'
import type { MqttServerDeps } from './mqtt-server.js'
import { RC } from './reason-codes.js'
import { Session } from './session.js'
import { WillScheduler, willMessage } from './will.js'

export type MqttLimits = HubConfig['mqtt']['limits']

const PINGRESP = Buffer.from([0xd0, 0])
const DROP_LOG_INTERVAL_MS = 10_000

/**
 * The broker's MQTT state shared by every connection: sessions, connections, wills, limits, and the
 * packet dispatch (aedes `handle()`, mosquitto `handle__packet()`). Listeners live in MqttServer.
 */
export class MqttCore {
  readonly sessions = new Map<string, Session>()
  readonly connections = new Set<Connection>()
  /** Persistent sessions with no connection, checked for expiry by the sweep. */
  readonly offline = new Set<Session>()
  readonly wills: WillScheduler
  readonly limits: MqttLimits
  readonly broker: Broker
  /** Connections that completed CONNECT. */
  connectedCount = 0
  stopping = false
  private readonly background = new Set<Promise<unknown>>()
  private dropsSinceLog = 0
  private lastDropLog = 0

  constructor(readonly deps: MqttServerDeps) {
    this.limits = deps.config.limits
    this.broker = deps.broker
    this.wills = new WillScheduler((message) => this.publishWill(message))
  }

  /** Route one packet of one connection to its handler. */
  handle(conn: Connection, packet: Packet | InboundPublish): void | Promise<void> {
    if (conn.state !== 'connected') {
      if (packet.cmd === 'connect' && conn.state === 'awaiting-connect') return handleConnect(this, conn, packet)
      // [MQTT-3.1.0-1] the first packet from the client MUST be CONNECT
      throw protocolViolation(RC.protocolError, `${packet.cmd} before CONNECT`)
    }
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, conn, packet as InboundPublish)
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        handleAck(this, conn, packet)
        return
      case 'pubrel':
        handlePubrel(this, conn, packet)
        return
      case 'subscribe':
        return handleSubscribe(this, conn, packet)
      case 'unsubscribe':
        return handleUnsubscribe(this, conn, packet)
      case 'pingreq':
        conn.write(PINGRESP) // [MQTT-3.12.4-1]
        return
      case 'disconnect':
        handleDisconnect(this, conn, packet)
        return
      case 'connect':
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
        throw protocolViolation(RC.protocolError, 'second CONNECT on one connection')
      default:
        // AUTH without an Authentication Method in CONNECT, or a server-to-client packet [MQTT-4.12.0-1]
        throw protocolViolation(RC.protocolError, `unexpected ${packet.cmd} from a client`)
    }
  }

  /**
   * Attach a connection to its session (MQTT 5.0 §4.1): take over from a connection that still has it
   * [MQTT-3.1.4-3], discard it on Clean Start [MQTT-3.1.2-4], or resume it. Resolves to Session Present
   * once a persistent session is stored.
   */
  async attachSession(conn: Connection, clientId: string, cleanStart: boolean, expiryInterval: number, version: 3 | 4 | 5): Promise<boolean> {
    const previous = this.sessions.get(clientId)?.connection
    if (previous !== undefined && previous !== conn) {
      this.deps.log.debug({ clientId }, 'session taken over by a new connection')
      previous.close('session taken over', RC.sessionTakenOver)
    }
    let session = this.sessions.get(clientId)
    if (session !== undefined && cleanStart) {
      await this.endSession(session)
      session = undefined
    }
    const present = session !== undefined
    if (session === undefined) {
      session = new Session(clientId, this, expiryInterval, version)
      this.sessions.set(clientId, session)
    } else {
      // Reconnected before the Will Delay Interval passed: the will is not sent [MQTT-3.1.3-9]
      this.wills.cancel(clientId)
      this.offline.delete(session)
      session.expiryInterval = expiryInterval
      session.protocolVersion = version
    }
    session.connection = conn
    session.disconnectedAt = undefined
    conn.session = session
    const store = this.deps.sessions
    if (session.persistent) {
      session.stored = true
      await store.save(session.record())
    } else if (session.stored) {
      // Resumed, but now ends with this connection: only sessions that outlive it are stored.
      session.stored = false
      await store.delete(clientId)
    }
    return present
  }

  /** End a session: its subscriptions go, a pending will is published, the store forgets it. */
  async endSession(session: Session): Promise<void> {
    for (const filter of session.subscriptions?.keys() ?? []) this.broker.subscriptions.remove(filter, session)
    session.subscriptions = undefined
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id)
    this.offline.delete(session)
    this.wills.publishNow(session.id)
    if (session.stored) {
      session.stored = false
      await this.deps.sessions.delete(session.id)
    }
  }

  /** A connection closed (any reason); `wasConnected` when it had completed CONNECT. */
  connectionClosed(conn: Connection, reason: string, wasConnected: boolean): void {
    this.connections.delete(conn)
    if (!wasConnected) return
    this.connectedCount--
    this.deps.stats.connections--
    const session = conn.session
    if (session !== undefined && session.connection === conn) {
      session.connection = undefined
      const will = conn.will
      if (will !== undefined && !this.stopping) {
        const message = willMessage(will, conn.origin)
        const delay = Math.min(will.delay, session.expiryInterval)
        // [MQTT-3.1.2-8] published when the connection closes without a normal DISCONNECT, after the
        // Will Delay Interval or when the session ends, whichever is first (5.0 §3.1.3.2.2)
        if (delay === 0) this.publishWill(message)
        else this.wills.schedule(session.id, message, Date.now() + delay * 1000)
      }
      if (!session.persistent) {
        this.runInBackground(this.endSession(session), 'ending a session failed')
      } else {
        session.disconnectedAt = Date.now()
        this.offline.add(session)
        if (session.stored) this.runInBackground(this.deps.sessions.save(session.record()), 'saving a session failed')
      }
    }
    this.deps.events.emit('client_disconnected', { clientId: conn.clientId, username: conn.identity?.username, reason })
  }

  /** One second of housekeeping for every connection and session: one timer, not one per client. */
  sweep(now: number): void {
    const tick = ticks(now)
    const connectTimeout = this.limits.connectTimeout * 10
    for (const conn of this.connections) {
      if (conn.state === 'awaiting-connect' && tick - conn.openedAt > connectTimeout) {
        this.deps.stats.protocolErrors++
        conn.close('no CONNECT within the connect timeout')
      } else if (conn.state === 'connected' && conn.keepAlive > 0 && tick - conn.lastSeen > conn.keepAlive * 15) {
        // [MQTT-3.1.2-22] no packet within one and a half times the Keep Alive
        conn.close('keep alive timeout', RC.keepAliveTimeout)
      }
    }
    for (const session of this.offline) {
      // 0xFFFFFFFF never expires (MQTT 5.0 §3.1.2.11.2)
      if (session.expiryInterval === 0xffffffff || session.disconnectedAt === undefined) continue
      if (session.disconnectedAt + session.expiryInterval * 1000 <= now) this.runInBackground(this.endSession(session), 'expiring a session failed')
    }
    for (const clientId of this.wills.publishDue(now)) {
      const session = this.sessions.get(clientId)
      if (session?.stored) this.runInBackground(this.deps.sessions.save(session.record()), 'saving a session failed')
    }
  }

  /** Count and report a message not delivered to one client; logged at most every 10 seconds. */
  dropMessage(message: Message, reason: string, clientId?: string): void {
    this.broker.drop(message, clientId === undefined ? reason : `${reason} (${clientId})`)
    this.logDrop(reason)
  }

  logDrop(reason: string): void {
    this.dropsSinceLog++
    const now = Date.now()
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return
    this.deps.log.warn({ dropped: this.dropsSinceLog, lastReason: reason }, 'messages dropped')
    this.dropsSinceLog = 0
    this.lastDropLog = now
  }

  publishWill(message: Message): void {
    try {
      this.runInBackground(this.broker.dispatch(message).stored, 'storing a will message failed')
    } catch (error) {
      this.deps.log.error({ err: error, topic: message.topic }, 'publishing a will message failed')
    }
  }

  /** Run store work without waiting for it; failures are logged and stop() waits for what is left. */
  runInBackground(work: Promise<unknown> | undefined, what: string): void {
    if (work === undefined) return
    const tracked: Promise<unknown> = work
      .catch((error: unknown) => this.deps.log.error({ err: error }, what))
      .finally(() => this.background.delete(tracked))
    this.background.add(tracked)
  }

  /** Resolves when the background store work started so far has settled. */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background])
  }
}
