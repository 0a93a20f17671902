import type Database from 'better-sqlite3'
import type { HubConfig } from '../../config/schema.js'
import type { Logger } from '../../log.js'
import type { Stores } from '../create-stores.js'
import { startHousekeeping, type Housekeeping } from '../housekeeping.js'
import { GroupCommit } from './group-commit.js'
import { databasePath, openDatabase } from './open-database.js'
import { removeOrphanedRows } from './session-rows.js'
import { SqliteRetainedStore } from './sqlite-retained-store.js'
import { SqliteRuleStore } from './sqlite-rule-store.js'
import { SqliteSessionStore } from './sqlite-session-store.js'

/** How often the store records that the hub is alive, so sessions cut off by a crash get a disconnect time. */
const HEARTBEAT_MS = 5_000
/** Compact when at least this share of the file's pages is free... */
const COMPACT_FREE_RATIO = 0.1
/** ...and at least this many pages (4 MiB of 4 KiB pages), so small files are left alone. */
const COMPACT_MIN_FREE_PAGES = 1024

/** The SQLite stores, their database and housekeeping. */
export interface SqliteStores extends Stores {
  retained: SqliteRetainedStore
  sessions: SqliteSessionStore
  rules: SqliteRuleStore
  readonly file: string
  readonly commits: GroupCommit
  readonly housekeeping: Housekeeping
}

/**
 * Open `junction.db` under `storage.dataDir` (see open-database.ts for corruption handling), load the
 * in-memory mirrors, repair what a crash left behind and start housekeeping.
 */
export async function openSqliteStores(storage: HubConfig['storage'], log: Logger): Promise<SqliteStores> {
  const file = databasePath(storage)
  const { db, commits, retained, sessions, rules, lastAliveAt } = await openDatabase(storage, log, (db) => {
    const orphans = removeOrphanedRows(db)
    if (Object.keys(orphans).length > 0) log.info({ file, removed: orphans }, 'removed rows that belong to no session (left by an unclean stop)')
    const commits = new GroupCommit(db, log)
    return {
      db,
      commits,
      retained: new SqliteRetainedStore(db, commits),
      sessions: new SqliteSessionStore(db, commits),
      rules: new SqliteRuleStore(db, commits),
      lastAliveAt: readAliveAt(db),
    }
  })
  const cutOff = await markCutOffSessions(sessions, lastAliveAt)

  const writeAlive = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('alive_at', ?)")
  const heartbeat = () => commits.write(() => writeAlive.run(String(Date.now()))).catch(() => undefined)
  void heartbeat()
  const timer = setInterval(heartbeat, HEARTBEAT_MS).unref()

  const sweep = () => {
    const now = Date.now()
    return { expiredRetained: retained.removeExpired(now), expiredQueued: sessions.removeExpiredMessages(now), expiredSessions: sessions.removeExpiredSessions(now) }
  }
  // What expired while the hub was down goes before anyone reads it: expiry is wall-clock time.
  const expiredAtOpen = sweep()
  const housekeeping = startHousekeeping(
    storage.housekeeping.enabled
      ? [
          { name: 'sweep', cron: storage.housekeeping.sweep, job: sweep },
          { name: 'compact', cron: storage.housekeeping.compact, job: () => compact(db, commits) },
        ]
      : [],
    log.child({ component: 'housekeeping' }),
  )
  log.info(
    {
      file,
      synchronous: storage.synchronous,
      retained: await retained.count(),
      sessions: (await sessions.list()).length,
      sessionsCutOff: cutOff,
      expiredWhileDown: expiredAtOpen,
    },
    'store opened',
  )

  let closed = false
  return {
    file,
    retained,
    sessions,
    rules,
    commits,
    housekeeping,
    async close() {
      if (closed) return
      closed = true
      housekeeping.stop()
      clearInterval(timer)
      void heartbeat()
      commits.close()
      db.close() // the last connection checkpoints the WAL into the file and removes it
    },
  }
}

function readAliveAt(db: Database.Database): number | undefined {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'alive_at'").get() as { value: string } | undefined
  return row === undefined ? undefined : Number(row.value)
}

/**
 * Sessions that were connected when the previous process stopped without saving their disconnect (a
 * crash or kill -9) are offline now; their expiry counts from the last moment the hub was known to be
 * running, so the downtime counts (MQTT 5.0 §3.1.2.11.2) but a session never expires early.
 */
async function markCutOffSessions(sessions: SqliteSessionStore, lastAliveAt: number | undefined): Promise<number> {
  const at = lastAliveAt === undefined ? Date.now() : Math.min(Date.now(), lastAliveAt + HEARTBEAT_MS)
  const cutOff = (await sessions.list()).filter((s) => s.disconnectedAt === undefined)
  await Promise.all(cutOff.map((s) => sessions.save({ ...s, disconnectedAt: at })))
  return cutOff.length
}

/**
 * Checkpoint the WAL back into the file and truncate it, then return free pages to the file system
 * with `PRAGMA incremental_vacuum` when enough of the file is free to be worth it.
 */
function compact(db: Database.Database, commits: GroupCommit): Record<string, number> {
  commits.flush()
  const [checkpoint] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>
  const pages = db.pragma('page_count', { simple: true }) as number
  const free = db.pragma('freelist_count', { simple: true }) as number
  let freedPages = 0
  if (free >= COMPACT_MIN_FREE_PAGES && free >= pages * COMPACT_FREE_RATIO) {
    db.pragma('incremental_vacuum')
    freedPages = free - (db.pragma('freelist_count', { simple: true }) as number)
    db.pragma('wal_checkpoint(TRUNCATE)')
  }
  return { walPagesCheckpointed: checkpoint?.checkpointed ?? 0, freedPages }
}
