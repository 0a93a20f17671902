import type { Bridge, HubContext } from '../hub-context.js'
import { parseRuleDefinition } from './compile-rule.js'
import { RulesEngine } from './engine.js'
import { resolveRuleFiles, watchRuleFiles } from './rule-files.js'
import { rulesConfigSchema, type RulesConfig } from './schema.js'
import { createRulesService } from './service.js'

export type { RulesService, RuleView, RuleMetrics, RuleTestResult } from './service.js'
export type { RuleDefinition } from './rule-schema.js'

/**
 * The rules engine as a hub plug-in (DESIGN.md §7): it reads the rule files named in the config
 * (relative to `configDir`) and the API rules kept in the store, offers the `rules` service to the
 * HTTP API, and talks to the hub only through the kernel API.
 */
export function createRulesEngine(options: { configDir: string }): Bridge<RulesConfig> {
  let engine: RulesEngine | undefined
  let stopWatching: (() => void) | undefined
  return {
    name: 'rules',
    configSchema: rulesConfigSchema,
    async start(ctx: HubContext, config: RulesConfig) {
      const log = ctx.log.child({ component: 'rules' })
      const running = new RulesEngine(ctx, log)
      const files = resolveRuleFiles(config.files, options.configDir)
      try {
        // a bad rule file at start-up stops the hub with the reason, like a bad config file
        for (const file of files) running.loadFile(file)
      } catch (error) {
        await running.stop()
        throw error
      }
      await loadStoredRules(ctx, running)
      engine = running
      ctx.services.provide('rules', createRulesService(running, ctx.ruleStore))
      if (config.watch && files.length > 0) {
        stopWatching = watchRuleFiles(
          files,
          (file) => running.reloadFile(file),
          (error) => log.warn({ err: error }, 'watching rule files failed; changes are not picked up until restart'),
        )
      }
      log.info({ rules: running.all().length, files }, 'rules engine started')
    },
    async stop() {
      stopWatching?.()
      stopWatching = undefined
      await engine?.stop()
      engine = undefined
    },
  }
}

/** API rules from the store; one that no longer compiles or would close a loop is skipped with a log line. */
async function loadStoredRules(ctx: HubContext, engine: RulesEngine): Promise<void> {
  for (const stored of await ctx.ruleStore.list()) {
    try {
      const definition = parseRuleDefinition(stored.definition, { source: 'api' })
      engine.putApiRule(engine.compile(definition, { source: 'api' }, stored.enabled))
    } catch (error) {
      ctx.log.error({ err: error, rule: stored.id }, `stored rule "${stored.id}" was not loaded: ${(error as Error).message}`)
    }
  }
}
