/**
 * The CoAP bridge (DESIGN.md §6): constrained devices publish to, read and observe MQTT topics over
 * UDP, on IPv4 and IPv6. A plug-in that talks only to the kernel API.
 */
import { isIPv6 } from 'node:net'
import { Counter, Gauge } from 'prom-client'
import type { Bridge, HubContext, ListenerInfo } from '../../src/hub-context.js'
import type { Logger } from '../../src/log.js'
import { Block1Assembler } from './block1.js'
import { Block2Cache } from './block2.js'
import { createCoapClient, type CoapClient } from './client.js'
import { createRequestHandler } from './handler.js'
import { ObserveRegistry } from './observe.js'
import { compileResources } from './resources.js'
import { coapConfigSchema, type CoapConfig } from './schema.js'
import { CoapEndpoint, type CoapPeer, type RequestHandler } from './server.js'

export { CoapEndpoint } from './server.js'
export type { RequestHandler, InboundRequest, RequestReply } from './server.js'

/** Representations kept for Block2 follow-ups (see block2.ts): how long, how many. */
const BLOCK2_TTL_MS = 120_000
const BLOCK2_MAX_ENTRIES = 10_000
const BLOCK2_MAX_BYTES = 32 * 1024 * 1024

/** Addresses of the other family bound by default beside the configured one. */
const TWINS: Record<string, string> = { '127.0.0.1': '::1', localhost: '::1', '::1': '127.0.0.1', '0.0.0.0': '::', '::': '0.0.0.0' }

/** Which addresses to bind: `hosts` as given, or `host` (else the hub's) and its twin, which may fail. */
export function resolveCoapHosts(config: Pick<CoapConfig, 'host' | 'hosts'>, hubHost: string): Array<{ host: string; required: boolean }> {
  if (config.hosts !== undefined) return config.hosts.map((host) => ({ host, required: true }))
  const host = config.host ?? hubHost
  const bindable = host === 'localhost' ? '127.0.0.1' : host
  const twin = TWINS[host]
  return twin === undefined ? [{ host: bindable, required: true }] : [{ host: bindable, required: true }, { host: twin, required: false }]
}

export interface CoapEndpointSetOptions {
  hosts: Array<{ host: string; required: boolean }>
  port: number
  handler: RequestHandler
  config: Pick<CoapConfig, 'transmission' | 'limits'>
  log: Logger
  onMalformed?: (peer: CoapPeer, reason: string) => void
  onReset?: (peer: CoapPeer, messageId: number) => void
}

/**
 * Bind one CoAP endpoint per address; reusable outside the bridge (the benchmark). An optional
 * address that cannot be bound (no IPv6 on the machine) is skipped with a warning; a required one
 * fails the whole set, naming the address.
 */
export async function bindCoapEndpoints(options: CoapEndpointSetOptions): Promise<CoapEndpoint[]> {
  const endpoints: CoapEndpoint[] = []
  for (const { host, required } of options.hosts) {
    try {
      endpoints.push(
        await CoapEndpoint.bind({
          host,
          port: options.port,
          handler: options.handler,
          transmission: options.config.transmission,
          log: options.log,
          maxDedupeEntries: options.config.limits.maxDedupeEntries,
          ...(options.onMalformed === undefined ? {} : { onMalformed: options.onMalformed }),
          ...(options.onReset === undefined ? {} : { onReset: options.onReset }),
        }),
      )
    } catch (error) {
      if (!required) {
        options.log.warn({ err: error, host }, 'coap: optional address not bound')
        continue
      }
      await Promise.all(endpoints.map((e) => e.close()))
      const where = isIPv6(host) ? `[${host}]:${options.port}` : `${host}:${options.port}`
      throw new Error(`coap: cannot bind UDP ${where}: ${(error as Error).message}`, { cause: error })
    }
  }
  return endpoints
}

/** The CoAP bridge plug-in; `host` is the hub-wide bind address. */
export function createCoapBridge(options: { host: string }): Bridge<CoapConfig> {
  let endpoints: CoapEndpoint[] = []
  let observers: ObserveRegistry | undefined
  let block1: Block1Assembler | undefined
  let block2: Block2Cache | undefined
  let client: CoapClient | undefined

  return {
    name: 'coap',
    configSchema: coapConfigSchema,
    async start(ctx: HubContext, config: CoapConfig) {
      const log = ctx.log.child({ component: 'coap' })
      const resources = compileResources(config.resources)
      const cache = new Block2Cache(BLOCK2_TTL_MS, BLOCK2_MAX_ENTRIES, BLOCK2_MAX_BYTES)
      const registry = new ObserveRegistry({ ctx, limits: config.limits, conInterval: config.observeConInterval, blockSize: config.blockSize, block2: cache })
      const assembler = new Block1Assembler({ maxPayloadSize: config.limits.maxPayloadSize, maxTransfers: config.limits.maxBlock1Transfers, maxBufferedBytes: config.limits.maxBlock1Bytes, timeout: config.limits.block1Timeout })
      const handler = createRequestHandler({ ctx, resources, observers: registry, block1: assembler, block2: cache, blockSize: config.blockSize, maxPayloadSize: config.limits.maxPayloadSize })
      const malformed = new Counter({ name: 'junction_coap_malformed_datagrams_total', help: 'Datagrams dropped or rejected because they were not well-formed CoAP', registers: [] })
      endpoints = await bindCoapEndpoints({
        hosts: resolveCoapHosts(config, options.host),
        port: config.port,
        handler,
        config,
        log,
        onMalformed: (peer, reason) => {
          ctx.stats.protocolErrors++
          malformed.inc()
          log.debug({ peer: peer.key, reason }, 'coap: malformed datagram')
        },
        onReset: (peer, messageId) => registry.handleReset(peer, messageId),
      })
      // Registered only once every socket is bound, so that a failed start leaves no metrics behind
      ctx.metrics.registerMetric(malformed)
      new Gauge({ name: 'junction_coap_observers', help: 'CoAP observations registered', registers: [ctx.metrics], collect() { this.set(registry.size) } })
      observers = registry
      block1 = assembler
      block2 = cache
      const outbound = createCoapClient()
      client = outbound
      ctx.services.provide('coap.request', (request) => outbound.request(request))
    },
    async stop() {
      observers?.terminateAll('the hub is shutting down')
      block1?.clear()
      block2?.clear()
      client?.close()
      await Promise.all(endpoints.map((e) => e.close()))
      endpoints = []
    },
    listeners(): ListenerInfo[] {
      let v4 = 0
      let v6 = 0
      return endpoints.map((endpoint) => {
        const { address, port } = endpoint.address()
        const ipv6 = isIPv6(address)
        const index = ipv6 ? ++v6 : ++v4
        const name = (ipv6 ? 'coap6' : 'coap') + (index > 1 ? `-${index}` : '')
        return { name, url: `coap://${ipv6 ? `[${address}]` : address}:${port}`, host: address, port }
      })
    },
  }
}
