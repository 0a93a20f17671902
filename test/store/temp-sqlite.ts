import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { hubConfigSchema, type HubConfig, type HubConfigInput } from '../../src/config/schema.js'
import { silentLogger } from '../../src/log.js'
import { openSqliteStores, type SqliteStores } from '../../src/store/sqlite/open-sqlite-stores.js'

/** A fresh data folder, removed when the test ends. */
export function tempDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The storage config for `dataDir`, defaults filled in by the real schema. */
export function storageConfig(dataDir: string, overrides: NonNullable<HubConfigInput['storage']> = {}): HubConfig['storage'] {
  return hubConfigSchema.parse({ storage: { driver: 'sqlite', dataDir, ...overrides } }).storage
}

/**
 * SQLite stores on `dataDir` (default: a fresh temp folder), closed when the test ends and before the
 * temp folder is removed.
 */
export async function openTempSqlite(t: TestContext, dataDir?: string): Promise<SqliteStores> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'junction-store-'))
  const stores = await openSqliteStores(storageConfig(dir), silentLogger())
  t.after(async () => {
    await stores.close()
    if (dataDir === undefined) rmSync(dir, { recursive: true, force: true })
  })
  return stores
}
