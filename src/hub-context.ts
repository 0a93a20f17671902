import type { EventEmitter } from 'node:events'
import type { Registry } from 'prom-client'
import type { z } from 'zod'
import type { Hooks, Identity } from './hooks.js'
import type { Logger } from './log.js'
import type { Message, MessageInput, Origin, QoS } from './message.js'
import type { HubStats } from './stats.js'
import type { RetainedStore } from './store/retained-store.js'
import type { RuleStore } from './store/rule-store.js'
import type { SessionStore } from './store/session-store.js'

export type { Hooks, Identity } from './hooks.js'
export type { Message, MessageInput, Origin, QoS } from './message.js'

/** Called for each message that matches a kernel subscription. A returned promise is awaited for QoS > 0 acks. */
export type Deliver = (message: Message) => void | Promise<void>
export type Unsubscribe = () => void

/** Subscription options, as in MQTT 5.0 §3.8.3.1. */
export interface SubOpts {
  /** Maximum QoS delivered; the message QoS is downgraded to it. Default 2. */
  qos?: QoS
  /** Deliver retained messages matching the filter right away (MQTT retain handling 0). Default false. */
  deliverRetained?: boolean
  /** Who subscribes, for logs, inspection and no-local. */
  owner?: string
}

export interface PublishResult {
  id: string
  /** How many subscriptions (MQTT sessions, bridges, rules) the message matched. */
  matched: number
}

/** A client or session as the inspection API shows it. */
export interface ClientInfo {
  clientId: string
  protocol: Protocol
  protocolVersion: number
  username?: string
  remoteAddress?: string
  connectedAt: number
  keepAlive: number
  cleanStart: boolean
  subscriptions: number
  inflight: number
  queued: number
}

export interface SubscriptionInfo {
  clientId: string
  filter: string
  qos: QoS
  noLocal?: boolean
  retainAsPublished?: boolean
  retainHandling?: 0 | 1 | 2
  subscriptionId?: number
  shareGroup?: string
}

export interface SessionInfo {
  clientId: string
  connected: boolean
  expiryInterval: number
  disconnectedAt?: number
  subscriptions: number
  queued: number
}

type Protocol = Origin['protocol']

/** Broker state for the inspection API (`/api/v1/clients`, ...). */
export interface Inspector {
  clients(): ClientInfo[]
  sessions(): Promise<SessionInfo[]>
  subscriptions(): SubscriptionInfo[]
  /** Disconnect an MQTT client (5.0: DISCONNECT with reason 0x98 Administrative action). */
  disconnect(clientId: string): boolean
  /** Whether every listener that was configured is accepting. */
  ready(): boolean
}

/** Events the hub emits; the rules engine turns them into `$events/...` sources. */
export interface HubEvents {
  client_connected: [{ clientId: string; username?: string; protocol: Protocol; protocolVersion: number; remoteAddress?: string; keepAlive: number; cleanStart: boolean }]
  client_disconnected: [{ clientId: string; username?: string; reason: string }]
  session_subscribed: [{ clientId: string; username?: string; filter: string; qos: QoS }]
  session_unsubscribed: [{ clientId: string; username?: string; filter: string }]
  message_dropped: [{ message: Message; reason: string; clientId?: string }]
}

/**
 * The kernel API: all that bridges and the rules engine may use (EMQX's gateway shape). They never
 * import `src/broker/`.
 */
export interface HubContext {
  /** Hand a message to the hub; resolves once it is accepted (stored where the store is durable). */
  publish(input: MessageInput, origin: Origin): Promise<PublishResult>
  /** Subscribe inside the hub; wildcards and `$share/group/...` allowed. */
  subscribe(filter: string, deliver: Deliver, opts?: SubOpts): Unsubscribe
  readonly retained: RetainedStore
  readonly sessions: SessionStore
  /** Rules created through the API (the rules engine owns them). */
  readonly ruleStore: RuleStore
  readonly hooks: Hooks
  readonly log: Logger
  readonly stats: HubStats
  /** Prometheus registry; bridges add their own metrics to it. */
  readonly metrics: Registry
  readonly events: EventEmitter<HubEvents>
  readonly inspect: Inspector
  /** Named services one plug-in offers another (the CoAP bridge's outbound client for the rules engine). */
  readonly services: ServiceRegistry
}

export interface ServiceRegistry {
  provide<K extends keyof Services>(name: K, service: Services[K]): void
  get<K extends keyof Services>(name: K): Services[K] | undefined
}

/** An outbound CoAP request, made by the CoAP bridge for the rules engine. */
export interface CoapRequest {
  url: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  payload?: Buffer
  contentFormat?: number
  confirmable?: boolean
  timeoutMs?: number
}

export interface CoapResponse {
  code: string
  payload: Buffer
  contentFormat?: number
}

/** Services by name. A plug-in that offers one adds it here. */
export interface Services {
  'coap.request': (request: CoapRequest) => Promise<CoapResponse>
  /** Rule management for the HTTP API; offered by the rules engine (its types live in src/rules). */
  rules: import('./rules/service.js').RulesService
}

/** A protocol bridge or other plug-in (EMQX `on_gateway_load/unload`, `config_schema_module`). */
export interface Bridge<Config = unknown> {
  readonly name: string
  readonly configSchema: z.ZodType<Config>
  start(ctx: HubContext, config: Config): Promise<void>
  stop(): Promise<void>
  /** Addresses this bridge listens on, for the start-up banner. */
  listeners?(): ListenerInfo[]
}

/** One open listener, with the address it actually bound (the OS picks the port when 0 was configured). */
export interface ListenerInfo {
  /** `mqtt`, `mqtts`, `ws`, `wss`, `http`, `coap`, ... */
  name: string
  url: string
  host: string
  port: number
}

