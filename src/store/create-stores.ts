import type { HubConfig } from '../config/schema.js'
import type { Logger } from '../log.js'
import { MemoryRuleStore } from './memory/memory-rule-store.js'
import { MemoryRetainedStore } from './memory/memory-retained-store.js'
import { MemorySessionStore } from './memory/memory-session-store.js'
import type { RetainedStore } from './retained-store.js'
import type { RuleStore } from './rule-store.js'
import type { SessionStore } from './session-store.js'
import { openSqliteStores } from './sqlite/open-sqlite-stores.js'

export interface Stores {
  retained: RetainedStore
  sessions: SessionStore
  rules: RuleStore
  close(): Promise<void>
}

/**
 * Open the stores the config names: `sqlite` (the default) is durable, with housekeeping on its
 * schedules (docs/storage.md); `memory` keeps everything in process memory and forgets it on exit.
 */
export async function openStores(storage: HubConfig['storage'], log: Logger): Promise<Stores> {
  if (storage.driver === 'sqlite') return openSqliteStores(storage, log)
  const retained = new MemoryRetainedStore()
  const sessions = new MemorySessionStore()
  const rules = new MemoryRuleStore()
  return {
    retained,
    sessions,
    rules,
    close: async () => {
      await retained.close()
      await sessions.close()
      await rules.close()
    },
  }
}
