import type { EventEmitter } from 'node:events'
import type { HubConfig } from '../config/schema.js'
import type { Hooks } from '../hooks.js'
import type { ClientInfo, HubEvents, ListenerInfo, SessionInfo, SubscriptionInfo } from '../hub-context.js'
import type { Logger } from '../log.js'
import type { HubStats } from '../stats.js'
import type { SessionStore } from '../store/session-store.js'
import type { Broker } from './broker.js'

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
  allowAnonymous: boolean
  /** Folder that relative TLS file paths resolve against. */
  configDir: string
}

/** PLACEHOLDER, replaced by the MQTT protocol implementation (issue 2). */
export class MqttServer {
  constructor(readonly deps: MqttServerDeps) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  listeners(): ListenerInfo[] {
    return []
  }
  clients(): ClientInfo[] {
    return []
  }
  async sessionList(): Promise<SessionInfo[]> {
    return []
  }
  subscriptionList(): SubscriptionInfo[] {
    return []
  }
  disconnect(_clientId: string): boolean {
    return false
  }
}
