import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { createLogger } from '../../src/log.js'
import { startHousekeeping } from '../../src/store/housekeeping.js'
import { enqueued, plainMessage } from '../contract/fixtures.js'
import { openTempSqlite, tempDataDir } from './temp-sqlite.js'

const past = () => Date.now() - 1000
const future = () => Date.now() + 3_600_000

test('a sweep removes expired retained and queued messages and expired sessions, and nothing else', async (t) => {
  const dir = tempDataDir(t)
  const stores = await openTempSqlite(t, dir)
  await stores.retained.set({ ...plainMessage('old'), expiresAt: past() })
  await stores.retained.set({ ...plainMessage('fresh'), expiresAt: future() })
  await stores.retained.set(plainMessage('forever'))
  const s = stores.sessions
  await s.save({ clientId: 'keep', protocolVersion: 5, expiryInterval: 3600, disconnectedAt: Date.now(), subscriptions: [] })
  const expired = await enqueued(s, 'keep', { state: 'queued', qos: 1, message: { ...plainMessage('q', 'xx'), expiresAt: past() }, retain: false })
  const inflight = await enqueued(s, 'keep', { state: 'queued', qos: 1, message: { ...plainMessage('q'), expiresAt: past() }, retain: false })
  await s.markSent('keep', inflight.seq, 1) // already sent: it stays until acknowledged
  const live = await enqueued(s, 'keep', { state: 'queued', qos: 1, message: { ...plainMessage('q', 'yyy'), expiresAt: future() }, retain: false })
  await s.save({ clientId: 'gone', protocolVersion: 5, expiryInterval: 10, disconnectedAt: Date.now() - 11_000, subscriptions: [{ filter: 'a', qos: 1 }] })
  await enqueued(s, 'gone', { state: 'queued', qos: 1, message: plainMessage('q'), retain: false })
  await s.save({ clientId: 'online', protocolVersion: 4, expiryInterval: 10, subscriptions: [] })
  await s.save({ clientId: 'never', protocolVersion: 5, expiryInterval: 0xffffffff, disconnectedAt: 1, subscriptions: [] })
  await s.save({ clientId: 'will-pending', protocolVersion: 5, expiryInterval: 1, disconnectedAt: 1, subscriptions: [], will: { message: plainMessage('w'), publishAt: 2 } })
  void expired

  const report = await stores.housekeeping.run('sweep')
  assert.deepEqual(report, { expiredRetained: 1, expiredQueued: 1, expiredSessions: 1 })
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual((await stores.retained.match('#')).map((m) => m.topic).sort(), ['forever', 'fresh'])
  assert.deepEqual((await s.outgoing('keep')).map((e) => e.seq), [inflight.seq, live.seq])
  assert.deepEqual(await s.queueSize('keep'), { count: 1, bytes: 3 })
  assert.deepEqual((await s.list()).map((x) => x.clientId).sort(), ['keep', 'never', 'online', 'will-pending'])
  assert.deepEqual(await s.outgoing('gone'), [])

  // and the removals are on disk
  await stores.close()
  const reopened = await openTempSqlite(t, dir)
  assert.equal(await reopened.retained.get('old'), undefined)
  assert.equal(await reopened.sessions.get('gone'), undefined)
  assert.deepEqual(await reopened.sessions.queueSize('keep'), { count: 1, bytes: 3 })
})

test('compaction checkpoints the WAL and reports what it reclaimed', async (t) => {
  const stores = await openTempSqlite(t)
  await Promise.all(Array.from({ length: 3000 }, (_, i) => stores.retained.set(plainMessage(`bulk/${i}`, 'x'.repeat(2000)))))
  await Promise.all(Array.from({ length: 3000 }, (_, i) => stores.retained.delete(`bulk/${i}`)))
  const report = await stores.housekeeping.run('compact')
  assert.ok(report.freedPages !== undefined && report.freedPages > 1000, JSON.stringify(report))
  const again = await stores.housekeeping.run('compact')
  assert.equal(again.freedPages, 0)
})

test('each housekeeping run logs what it removed', async () => {
  const chunks: string[] = []
  const log = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c.toString()), done()) }))
  const housekeeping = startHousekeeping([{ name: 'sweep', cron: '0 0 1 1 *', job: () => ({ expiredSessions: 2, expiredQueued: 0 }) }], log)
  try {
    await housekeeping.run('sweep')
  } finally {
    housekeeping.stop()
  }
  const line = chunks.map((c) => JSON.parse(c) as Record<string, unknown>).find((l) => l.job === 'sweep')
  assert.equal(line?.msg, 'housekeeping sweep: expiredSessions 2')
  assert.equal(line?.expiredSessions, 2)
})

test('housekeeping runs on its schedule', async (t) => {
  let runs = 0
  let resolveRun: () => void = () => undefined
  const ran = new Promise<void>((resolve) => (resolveRun = resolve))
  const housekeeping = startHousekeeping([{ name: 'tick', cron: '* * * * * *', job: () => (runs++, resolveRun(), {}) }], createLogger('silent'))
  t.after(() => housekeeping.stop())
  const timeout = setTimeout(() => resolveRun(), 10_000)
  await ran
  clearTimeout(timeout)
  assert.ok(runs >= 1, 'the every-second schedule ran within the safety timeout')
})
