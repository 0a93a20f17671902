import type { Bridge, HubContext, ListenerInfo } from '../../src/hub-context.js'
import { coapConfigSchema, type CoapConfig } from './schema.js'

/** PLACEHOLDER, replaced by the CoAP bridge (issue 5). */
export function createCoapBridge(_options: { host: string }): Bridge<CoapConfig> {
  return {
    name: 'coap',
    configSchema: coapConfigSchema,
    async start(_ctx: HubContext, _config: CoapConfig) {},
    async stop() {},
    listeners(): ListenerInfo[] {
      return []
    },
  }
}
