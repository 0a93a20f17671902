import type { Bridge, HubContext, ListenerInfo } from '../../src/hub-context.js'
import { httpConfigSchema, type HttpConfig } from './schema.js'

/** PLACEHOLDER, replaced by the HTTP bridge (issue 4). */
export function createHttpBridge(_options: { host: string }): Bridge<HttpConfig> {
  return {
    name: 'http',
    configSchema: httpConfigSchema,
    async start(_ctx: HubContext, _config: HttpConfig) {},
    async stop() {},
    listeners(): ListenerInfo[] {
      return []
    },
  }
}
