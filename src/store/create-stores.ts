import type { HubConfig } from '../config/schema.js'
import type { Logger } from '../log.js'
import { MemoryRetainedStore } from './memory/memory-retained-store.js'
import { MemorySessionStore } from './memory/memory-session-store.js'
import type { RetainedStore } from './retained-store.js'
import type { SessionStore } from './session-store.js'

export interface Stores {
  retained: RetainedStore
  sessions: SessionStore
  close(): Promise<void>
}

/** Open the stores the config names. */
export async function openStores(storage: HubConfig['storage'], log: Logger): Promise<Stores> {
  // TODO(sqlite): the SQLite store replaces this fallback (issue 3).
  if (storage.driver === 'sqlite') log.warn('storage.driver sqlite is not built yet; using memory')
  const retained = new MemoryRetainedStore()
  const sessions = new MemorySessionStore()
  return {
    retained,
    sessions,
    close: async () => {
      await retained.close()
      await sessions.close()
    },
  }
}
