import { existsSync, mkdirSync, renameSync } from 'node:fs'
import { resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { HubConfig } from '../../config/schema.js'
import { HubError } from '../../errors.js'
import type { Logger } from '../../log.js'
import { migrateSchema } from './schema.js'

type StorageConfig = HubConfig['storage']

/** SQLite result codes that mean the file itself is damaged, not merely unavailable. */
const CORRUPTION_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB'])

/** The database file's absolute path for a storage config. */
export function databasePath(storage: Pick<StorageConfig, 'dataDir' | 'file'>): string {
  return resolve(storage.dataDir, storage.file)
}

/**
 * Open (or create) the hub's database and read it with `load`: create the data folder, check the file
 * with `PRAGMA quick_check`, switch to WAL, bring the schema up to date, then load. A damaged file, or
 * stored data that cannot be read, fails with HUB_ERR_STORE_CORRUPT naming the file, unless
 * `storage.recover` asks to move it aside and start empty.
 */
export async function openDatabase<T>(storage: StorageConfig, log: Logger, load: (db: Database.Database) => T | Promise<T>): Promise<T> {
  const file = databasePath(storage)
  try {
    mkdirSync(storage.dataDir, { recursive: true })
  } catch (error) {
    throw new HubError('HUB_ERR_STORE', `${storage.dataDir}: cannot create the data folder (${(error as Error).message})`, { cause: error })
  }
  try {
    return await openAndLoad(file, storage, load)
  } catch (error) {
    if (!(error instanceof HubError) || error.code !== 'HUB_ERR_STORE_CORRUPT' || !storage.recover) throw error
    const moved = quarantine(file)
    log.error({ file, problem: error.message, movedTo: moved }, 'database file is damaged; moved it aside and starting with an EMPTY store (storage.recover)')
    return openAndLoad(file, storage, load)
  }
}

async function openAndLoad<T>(file: string, storage: StorageConfig, load: (db: Database.Database) => T | Promise<T>): Promise<T> {
  const db = openChecked(file, storage)
  try {
    return await load(db)
  } catch (error) {
    db.close()
    if (error instanceof HubError) throw error
    // quick_check passed but a row does not decode (e.g. damaged JSON): the data is as unusable
    throw new HubError('HUB_ERR_STORE_CORRUPT', `${file}: the stored data cannot be read (${(error as Error).message}); start with --recover to move the file aside and start empty`, { cause: error })
  }
}

function openChecked(file: string, storage: StorageConfig): Database.Database {
  let db: Database.Database | undefined
  try {
    db = new Database(file)
    // One hub per file: an exclusive lock makes a second process fail here instead of sharing
    // the file; in WAL mode it also keeps the WAL index in process memory (no -shm file).
    db.pragma('locking_mode = EXCLUSIVE')
    // a new, empty file: let freed pages be returned with `PRAGMA incremental_vacuum` (housekeeping);
    // this must be set before the switch to WAL and before the first table
    if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL')
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${storage.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
    // Queue rows are inserted and deleted within moments, so the same few pages change in every commit:
    // checkpointing every 10,000 WAL pages (about 40 MB) instead of SQLite's 1,000 copies each page
    // once instead of ten times and fsyncs a tenth as often; the WAL file is cut back to 64 MB after.
    db.pragma('wal_autocheckpoint = 10000')
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
    const check = db.pragma('quick_check', { simple: false }) as Array<{ quick_check: string }>
    const problems = check.map((row) => row.quick_check).filter((r) => r !== 'ok')
    if (problems.length > 0) {
      throw new HubError('HUB_ERR_STORE_CORRUPT', `${file}: the database file is damaged (quick_check: ${problems.slice(0, 3).join('; ')}); start with --recover to move it aside and start empty`)
    }
    migrateSchema(db, file)
    return db
  } catch (error) {
    db?.close()
    if (error instanceof HubError) throw error
    const code = (error as { code?: string }).code ?? ''
    const reason = (error as Error).message
    if (CORRUPTION_CODES.has(code)) {
      throw new HubError('HUB_ERR_STORE_CORRUPT', `${file}: the database file is damaged or not a database (${reason}); start with --recover to move it aside and start empty`, { cause: error })
    }
    if (code === 'SQLITE_BUSY') {
      throw new HubError('HUB_ERR_STORE', `${file}: the database is in use by another process (${reason})`, { cause: error })
    }
    throw new HubError('HUB_ERR_STORE', `${file}: cannot open the database (${reason})`, { cause: error })
  }
}

/** Rename the file and its WAL companions to `<name>.corrupt-<timestamp>`; never deletes anything. */
function quarantine(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const target = `${file}.corrupt-${stamp}`
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (!existsSync(file + suffix)) continue
    try {
      renameSync(file + suffix, target + suffix)
    } catch (error) {
      throw new HubError('HUB_ERR_STORE', `${file}${suffix}: cannot move the damaged file aside (${(error as Error).message})`, { cause: error })
    }
  }
  return target
}
