import type { Bridge, HubContext } from '../hub-context.js'
import { rulesConfigSchema, type RulesConfig } from './schema.js'

/** PLACEHOLDER, replaced by the rules engine (issue 6). */
export function createRulesEngine(_options: { configDir: string }): Bridge<RulesConfig> {
  return {
    name: 'rules',
    configSchema: rulesConfigSchema,
    async start(_ctx: HubContext, _config: RulesConfig) {},
    async stop() {},
  }
}
