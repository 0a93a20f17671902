import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { silentLogger } from '../../src/log.js'
import { MemorySessionStore } from '../../src/store/memory/memory-session-store.js'
import { openStores } from '../../src/store/create-stores.js'
import { SqliteSessionStore } from '../../src/store/sqlite/sqlite-session-store.js'
import { plainMessage } from '../contract/fixtures.js'
import { storageConfig, tempDataDir } from './temp-sqlite.js'

test('storage.driver sqlite opens junction.db under the data folder, creating the folder', async (t) => {
  const dir = join(tempDataDir(t), 'nested', 'data')
  const stores = await openStores(storageConfig(dir), silentLogger())
  t.after(() => stores.close())
  assert.ok(stores.sessions instanceof SqliteSessionStore)
  await stores.retained.set(plainMessage('a'))
  assert.ok(existsSync(join(dir, 'junction.db')))
})

test('storage.file names the database file', async (t) => {
  const dir = tempDataDir(t)
  const stores = await openStores(storageConfig(dir, { file: 'other.sqlite' }), silentLogger())
  t.after(() => stores.close())
  assert.ok(existsSync(join(dir, 'other.sqlite')))
})

test('storage.driver memory keeps everything in process memory and writes no file', async (t) => {
  const dir = join(tempDataDir(t), 'unused')
  const stores = await openStores(storageConfig(dir, { driver: 'memory' }), silentLogger())
  t.after(() => stores.close())
  assert.ok(stores.sessions instanceof MemorySessionStore)
  assert.equal(existsSync(dir), false)
})

test('a bad housekeeping schedule is a config error naming the key', () => {
  assert.throws(() => storageConfig('/tmp/x', { housekeeping: { sweep: 'every five minutes' } }), /a node-cron expression/)
})
