import type { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type { HubConfig } from '../config/schema.js'
import type { Hooks } from '../hooks.js'
import type { ClientInfo, HubEvents, ListenerInfo, SessionInfo, SubscriptionInfo } from '../hub-context.js'
import type { Logger } from '../log.js'
import type { HubStats } from '../stats.js'
import type { SessionStore } from '../store/session-store.js'
import type { Broker } from './broker.js'
import { wallClock } from './clock.js'
import { Connection } from './connection.js'
import { openListeners, type OpenListener, type Peer } from './listeners.js'
import { MqttCore } from './mqtt-core.js'
import { RC } from './reason-codes.js'
import { restoreSessions } from './restore.js'
import { SysPublisher } from './sys-topics.js'

export interface MqttServerDeps {
  broker: Broker
  sessions: SessionStore
  hooks: Hooks
  stats: HubStats
  log: Logger
  events: EventEmitter<HubEvents>
  config: HubConfig['mqtt']
  /** Bind address for listeners that do not name their own. */
  host: string
  /** Folder that relative TLS file paths resolve against. */
  configDir: string
}

const SWEEP_INTERVAL_MS = 1000

/**
 * The MQTT broker's network side: listeners, one sweep timer for keep alive, connect timeouts,
 * session expiry and delayed wills, `$SYS` statistics, and the inspection API.
 */
export class MqttServer {
  private readonly core: MqttCore
  private opened: OpenListener[] = []
  private sweeper: NodeJS.Timeout | undefined
  private sys: SysPublisher | undefined

  constructor(readonly deps: MqttServerDeps) {
    this.core = new MqttCore(deps)
  }

  /** Restore stored sessions, then open every listener. */
  async start(): Promise<void> {
    await restoreSessions(this.core)
    this.opened = await openListeners(this.deps.config, this.deps.host, this.deps.configDir, (stream, peer) => this.accept(stream, peer))
    this.sweeper = setInterval(() => this.core.sweep(Date.now()), SWEEP_INTERVAL_MS)
    this.sweeper.unref()
    if (this.deps.config.sysInterval > 0) {
      this.sys = new SysPublisher(this.deps.broker, this.deps.stats, this.core, this.deps.log)
      this.sys.start(this.deps.config.sysInterval)
    }
  }

  private accept(stream: Duplex, peer: Peer): void {
    if (this.core.stopping) {
      stream.destroy()
      return
    }
    this.core.connections.add(new Connection(stream, this.core, peer))
  }

  /**
   * Stop accepting, send 5.0 clients DISCONNECT 0x8B Server shutting down, keep persistent sessions
   * in the store, and resolve when every connection is closed. Wills are not published: a shutdown
   * is not a client failure (docs/mqtt.md).
   */
  async stop(): Promise<void> {
    if (this.core.stopping) return
    this.core.stopping = true
    this.sys?.stop()
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    const closing = Promise.all(this.opened.map((l) => l.close()))
    const sockets: Array<Promise<void>> = []
    for (const conn of [...this.core.connections]) {
      sockets.push(waitClosed(conn.socket))
      conn.close('server shutting down', RC.serverShuttingDown)
    }
    await Promise.all(sockets)
    await closing
    await this.core.settle()
    this.opened = []
  }

  listeners(): ListenerInfo[] {
    return this.opened.map((l) => l.info)
  }

  clients(): ClientInfo[] {
    const out: ClientInfo[] = []
    for (const conn of this.core.connections) {
      if (!conn.connected) continue
      out.push({
        clientId: conn.clientId,
        protocol: 'mqtt',
        protocolVersion: conn.version,
        username: conn.username,
        remoteAddress: conn.remoteAddress,
        connectedAt: wallClock(conn.openedAt),
        keepAlive: conn.keepAlive,
        cleanStart: conn.cleanStart,
        subscriptions: conn.session?.subscriptions?.size ?? 0,
        inflight: conn.session?.inflight?.size ?? 0,
        queued: conn.session?.queuedCount ?? 0,
      })
    }
    return out
  }

  async sessionList(): Promise<SessionInfo[]> {
    return [...this.core.sessions.values()].map((s) => {
      const info: SessionInfo = {
        clientId: s.id,
        connected: s.connection !== undefined,
        expiryInterval: s.expiryInterval,
        subscriptions: s.subscriptions?.size ?? 0,
        queued: s.queuedCount,
      }
      if (s.disconnectedAt !== undefined) info.disconnectedAt = s.disconnectedAt
      return info
    })
  }

  subscriptionList(): SubscriptionInfo[] {
    const out: SubscriptionInfo[] = []
    for (const session of this.core.sessions.values()) {
      for (const [fullFilter, s] of session.subscriptions ?? []) {
        const info: SubscriptionInfo = { clientId: session.id, filter: fullFilter, qos: s.qos, noLocal: s.noLocal, retainAsPublished: s.retainAsPublished, retainHandling: s.retainHandling }
        if (s.subscriptionId !== undefined) info.subscriptionId = s.subscriptionId
        if (s.shareGroup !== undefined) info.shareGroup = s.shareGroup
        out.push(info)
      }
    }
    return out
  }

  /** Disconnect a client (5.0: DISCONNECT 0x98 Administrative action). Its will is published. */
  disconnect(clientId: string): boolean {
    const conn = this.core.sessions.get(clientId)?.connection
    if (conn === undefined) return false
    conn.close('disconnected by an administrator', RC.administrativeAction)
    return true
  }
}

function waitClosed(stream: Duplex): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise((done) => stream.once('close', () => done()))
}
