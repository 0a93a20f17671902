import { EventEmitter } from 'node:events'
import { dirname } from 'node:path'
import { Registry } from 'prom-client'
import { createCoapBridge } from '../bridges/coap/index.js'
import { createHttpBridge } from '../bridges/http/index.js'
import { Broker } from './broker/broker.js'
import { MqttServer } from './broker/mqtt-server.js'
import { parseConfig } from './config/load.js'
import type { HubConfig, HubConfigInput } from './config/schema.js'
import { createDefaultHooks, type Hooks } from './hooks.js'
import type { Bridge, HubContext, HubEvents, ListenerInfo } from './hub-context.js'
import { createLogger, type Logger } from './log.js'
import { createRulesEngine } from './rules/index.js'
import { createServiceRegistry } from './service-registry.js'
import { HubStats } from './stats.js'
import { openStores, type Stores } from './store/create-stores.js'

export interface HubOptions {
  /** The config file the config came from; relative paths in it resolve against its folder. */
  configFile?: string
  log?: Logger
  /** Replace the default allow-all hooks (tests, embedding applications). */
  hooks?: Hooks
  /** Replace the stores the config names (tests pass in-memory or fake stores). */
  stores?: Stores
}

/** A running (or ready to start) hub. */
export interface Hub {
  readonly config: HubConfig
  readonly ctx: HubContext
  readonly broker: Broker
  /** Open every listener; resolves when all accept. */
  start(): Promise<void>
  /** Graceful shutdown: stop accepting, disconnect clients, flush stores. Safe to call twice. */
  close(): Promise<void>
  /** Every listener with its actual address (ports chosen by the OS when configured as 0). */
  listeners(): ListenerInfo[]
}

export type { HubConfig, HubConfigInput } from './config/schema.js'
export type * from './hub-context.js'

/**
 * Build a hub from a config: the only place that picks implementations and wires them together.
 * Accepts a raw config object (validated here) or an already validated one.
 */
export async function createHub(input: HubConfigInput | HubConfig = {}, options: HubOptions = {}): Promise<Hub> {
  const config = parseConfig(input, options.configFile ?? 'createHub() config')
  const configDir = options.configFile !== undefined ? dirname(options.configFile) : process.cwd()
  const log = options.log ?? createLogger(config.log.level)
  const stats = new HubStats()
  const stores = options.stores ?? (await openStores(config.storage, log.child({ component: 'store' })))
  const events = new EventEmitter<HubEvents>()
  const broker = new Broker({
    retained: stores.retained,
    stats,
    log: log.child({ component: 'broker' }),
    onDrop: (message, reason) => events.emit('message_dropped', { message, reason }),
  })
  const hooks = options.hooks ?? createDefaultHooks({ allowAnonymous: config.auth.allowAnonymous })
  const mqtt = new MqttServer({
    broker,
    sessions: stores.sessions,
    hooks,
    stats,
    log: log.child({ component: 'mqtt' }),
    events,
    config: config.mqtt,
    host: config.host,
    configDir,
  })

  const plugins: Array<{ bridge: Bridge<never>; config: unknown; enabled: boolean }> = [
    { bridge: createHttpBridge({ host: config.host }) as Bridge<never>, config: config.http, enabled: config.http.enabled },
    { bridge: createCoapBridge({ host: config.host }) as Bridge<never>, config: config.coap, enabled: config.coap.enabled },
    { bridge: createRulesEngine({ configDir }) as Bridge<never>, config: config.rules, enabled: config.rules.enabled },
  ]
  const started: Array<Bridge<never>> = []
  let listening = false
  let closing: Promise<void> | undefined

  const ctx: HubContext = {
    publish: (message, origin) => broker.publish(message, origin),
    subscribe: (filter, deliver, opts) => broker.subscribe(filter, deliver, opts),
    retained: stores.retained,
    sessions: stores.sessions,
    ruleStore: stores.rules,
    hooks,
    log,
    stats,
    metrics: new Registry(),
    events,
    services: createServiceRegistry(),
    inspect: {
      clients: () => mqtt.clients(),
      sessions: () => mqtt.sessionList(),
      subscriptions: () => mqtt.subscriptionList(),
      disconnect: (clientId) => mqtt.disconnect(clientId),
      ready: () => listening && closing === undefined,
    },
  }

  const listeners = (): ListenerInfo[] => [...mqtt.listeners(), ...started.flatMap((b) => b.listeners?.() ?? [])]

  return {
    config,
    ctx,
    broker,
    listeners,
    async start() {
      try {
        await mqtt.start()
        for (const plugin of plugins) {
          if (!plugin.enabled) continue
          await plugin.bridge.start(ctx, plugin.config as never)
          started.push(plugin.bridge)
        }
      } catch (error) {
        // what did start (listeners, bridges) must not stay open: the process would hang on a bad rule file
        await (this as Hub).close()
        throw error
      }
      listening = true
      log.info({ listeners: listeners() }, 'junction started')
    },
    close() {
      closing ??= (async () => {
        for (const bridge of started.reverse()) {
          try {
            await bridge.stop()
          } catch (error) {
            log.error({ err: error, bridge: bridge.name }, 'bridge did not stop cleanly')
          }
        }
        await mqtt.stop()
        if (options.stores === undefined) await stores.close()
        log.flush?.()
      })()
      return closing
    },
  }
}
