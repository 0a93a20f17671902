import assert from 'node:assert/strict'
import { existsSync, openSync, readdirSync, readFileSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { createLogger } from '../../src/log.js'
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.js'
import { plainMessage } from '../contract/fixtures.js'
import { openTempSqlite, storageConfig, tempDataDir } from './temp-sqlite.js'

/** Write garbage over the first `length` bytes of a file (the SQLite header is the first 100). */
function damage(file: string, offset = 0, length = 100): void {
  const fd = openSync(file, 'r+')
  writeSync(fd, Buffer.alloc(length, 0x5a), 0, length, offset)
  closeSync(fd)
}

/** A logger whose JSON lines are collected for assertions. */
function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk.toString()), done()) })
  const log = createLogger('info', sink)
  return { log, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }
}

async function writeOneMessage(dir: string, t: Parameters<typeof openTempSqlite>[0]): Promise<string> {
  const stores = await openTempSqlite(t, dir)
  await stores.retained.set(plainMessage('kept/topic'))
  await stores.close()
  return stores.file
}

test('a file with a damaged header is refused with an error naming the file', async (t) => {
  const dir = tempDataDir(t)
  const file = await writeOneMessage(dir, t)
  damage(file)
  await assert.rejects(openSqliteStores(storageConfig(dir), capturingLogger().log), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HUB_ERR_STORE_CORRUPT')
    assert.ok(error.message.includes(file), error.message)
    assert.match(error.message, /not a database|damaged/)
    assert.match(error.message, /--recover/)
    return true
  })
  assert.ok(existsSync(file), 'the damaged file is left where it was')
})

test('damaged pages inside the file are found by quick_check at open', async (t) => {
  const dir = tempDataDir(t)
  const stores = await openTempSqlite(t, dir)
  await Promise.all(Array.from({ length: 400 }, (_, i) => stores.retained.set(plainMessage(`t/${i}`, 'p'.repeat(200)))))
  await stores.close()
  damage(stores.file, 4096, 4096 * 9) // pages 2-10 (page 1, the header and schema, stays intact)
  await assert.rejects(openSqliteStores(storageConfig(dir), capturingLogger().log), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HUB_ERR_STORE_CORRUPT')
    assert.ok(error.message.includes(stores.file), error.message)
    return true
  })
})

test('with recover set, the damaged file is moved aside under a timestamped name and the hub starts empty', async (t) => {
  const dir = tempDataDir(t)
  const file = await writeOneMessage(dir, t)
  damage(file)
  const damaged = readFileSync(file)
  const { log, lines } = capturingLogger()
  const stores = await openSqliteStores(storageConfig(dir, { recover: true }), log)
  t.after(() => stores.close())
  assert.equal(await stores.retained.count(), 0)
  await stores.retained.set(plainMessage('fresh'))
  const aside = readdirSync(dir).filter((name) => /^junction\.db\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/.test(name))
  assert.equal(aside.length, 1, `one quarantined file in ${readdirSync(dir).join(', ')}`)
  assert.deepEqual(readFileSync(join(dir, aside[0] as string)), damaged, 'the bad file is kept byte for byte')
  log.flush()
  const loud = lines().find((l) => typeof l.msg === 'string' && l.msg.includes('moved it aside'))
  assert.ok(loud, 'the move is logged')
  assert.equal(loud.level, 50, 'at error level')
  assert.equal(loud.movedTo, join(dir, aside[0] as string))
})

test('recover leaves a healthy file alone', async (t) => {
  const dir = tempDataDir(t)
  await writeOneMessage(dir, t)
  const stores = await openSqliteStores(storageConfig(dir, { recover: true }), capturingLogger().log)
  t.after(() => stores.close())
  assert.equal(await stores.retained.count(), 1)
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('corrupt')), [])
})

test('a row that does not decode is reported as damaged data at open, and recover moves the file aside', async (t) => {
  const dir = tempDataDir(t)
  const stores = await openTempSqlite(t, dir)
  await stores.rules.put({ id: 'r', definition: { sql: 'SELECT 1' }, enabled: true, updatedAt: 1 })
  await stores.close()
  const raw = new Database(stores.file)
  raw.prepare("UPDATE rules SET definition = '{not json'").run()
  raw.close()
  await assert.rejects(openSqliteStores(storageConfig(dir), capturingLogger().log), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HUB_ERR_STORE_CORRUPT')
    assert.ok(error.message.startsWith(`${stores.file}: the stored data cannot be read`), error.message)
    return true
  })
  const recovered = await openSqliteStores(storageConfig(dir, { recover: true }), capturingLogger().log)
  t.after(() => recovered.close())
  assert.deepEqual(await recovered.rules.list(), [])
  assert.equal(readdirSync(dir).filter((n) => n.includes('.corrupt-')).length, 1)
})
