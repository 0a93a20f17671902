import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SessionRecord } from '../../src/store/session-store.js'
import { enqueued, fullMessage as fullFixture, plainMessage } from '../contract/fixtures.js'
import { openTempSqlite, tempDataDir } from './temp-sqlite.js'

test('everything written before close is there after reopening the file', async (t) => {
  const dir = tempDataDir(t)
  // expiring, but not before the reopen (what has expired is swept at open)
  const fullMessage = (topic: string) => fullFixture(topic, { expiresAt: Date.now() + 3_600_000 })
  const session: SessionRecord = {
    clientId: 'dev-1',
    protocolVersion: 5,
    expiryInterval: 7200,
    disconnectedAt: Date.now() - 1000,
    subscriptions: [{ filter: 'cmd/dev-1/#', qos: 2, noLocal: false, subscriptionId: 4 }],
    will: { message: fullMessage('status/dev-1'), publishAt: Date.now() + 60_000 },
  }
  const retainedMessage = fullMessage('config/dev-1')
  const first = await openTempSqlite(t, dir)
  await first.retained.set(retainedMessage)
  await first.sessions.save(session)
  const q1 = await enqueued(first.sessions, 'dev-1', { state: 'queued', qos: 1, message: fullMessage('cmd/dev-1/a'), retain: false, subscriptionIds: [4] })
  const q2 = await enqueued(first.sessions, 'dev-1', { state: 'queued', qos: 2, message: plainMessage('cmd/dev-1/b', 'abc'), retain: true })
  const q3 = await enqueued(first.sessions, 'dev-1', { state: 'queued', qos: 2, message: plainMessage('cmd/dev-1/c', 'defg'), retain: false })
  await first.sessions.markSent('dev-1', q1.seq, 11)
  await first.sessions.markSent('dev-1', q2.seq, 12)
  await first.sessions.markReleased('dev-1', 12)
  await first.sessions.addIncoming('dev-1', 300)
  await first.rules.put({ id: 'r', definition: { sql: 'SELECT 1' }, enabled: true, updatedAt: 5 })
  const before = await first.sessions.outgoing('dev-1')
  await first.close()

  const second = await openTempSqlite(t, dir)
  assert.deepEqual(await second.retained.get('config/dev-1'), retainedMessage)
  assert.deepEqual(await second.sessions.list(), [session])
  assert.deepEqual(await second.sessions.outgoing('dev-1'), before)
  assert.deepEqual(
    before.map((e) => [e.seq, e.state, e.packetId]),
    [
      [q1.seq, 'sent', 11],
      [q2.seq, 'released', 12],
      [q3.seq, 'queued', undefined],
    ],
  )
  assert.deepEqual(await second.sessions.queueSize('dev-1'), { count: 1, bytes: 4 })
  assert.deepEqual(await second.sessions.incoming('dev-1'), [300])
  assert.deepEqual(await second.rules.list(), [{ id: 'r', definition: { sql: 'SELECT 1' }, enabled: true, updatedAt: 5 }])
  // acknowledgements keep working on entries restored from the file, and new entries sort after them
  await second.sessions.acknowledge('dev-1', 11)
  await second.sessions.acknowledge('dev-1', 12)
  const q4 = await enqueued(second.sessions, 'dev-1', { state: 'queued', qos: 1, message: plainMessage('cmd/dev-1/d'), retain: false })
  assert.ok(q4.seq > q3.seq)
  assert.deepEqual((await second.sessions.outgoing('dev-1')).map((e) => e.seq), [q3.seq, q4.seq])
})

test('a session that was connected when the hub stopped comes back offline, its expiry counting', async (t) => {
  const dir = tempDataDir(t)
  const first = await openTempSqlite(t, dir)
  await first.sessions.save({ clientId: 'live', protocolVersion: 5, expiryInterval: 60, subscriptions: [] })
  const closedAt = Date.now()
  await first.close()
  const second = await openTempSqlite(t, dir)
  const [restored] = await second.sessions.list()
  assert.ok(restored?.disconnectedAt !== undefined, 'the restored session has a disconnect time')
  assert.ok(restored.disconnectedAt >= closedAt - 10_000 && restored.disconnectedAt <= Date.now())
})

test('a second opener of the same file is refused while the hub holds it', async (t) => {
  const dir = tempDataDir(t)
  await openTempSqlite(t, dir)
  await assert.rejects(openTempSqlite(t, dir), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HUB_ERR_STORE')
    assert.match(error.message, /junction\.db.*in use by another process/)
    return true
  })
})

test('what expired while the hub was down is gone when it comes back', async (t) => {
  const dir = tempDataDir(t)
  const first = await openTempSqlite(t, dir)
  const soon = Date.now() + 50
  await first.retained.set({ ...plainMessage('short'), expiresAt: soon })
  await first.retained.set(plainMessage('long'))
  await first.sessions.save({ clientId: 'brief', protocolVersion: 5, expiryInterval: 0, disconnectedAt: Date.now(), subscriptions: [] })
  await first.sessions.save({ clientId: 'lasting', protocolVersion: 5, expiryInterval: 3600, disconnectedAt: Date.now(), subscriptions: [] })
  await enqueued(first.sessions, 'lasting', { state: 'queued', qos: 1, message: { ...plainMessage('q'), expiresAt: soon }, retain: false })
  await first.close()
  while (Date.now() <= soon) await new Promise((resolve) => setTimeout(resolve, 20))
  const second = await openTempSqlite(t, dir)
  assert.deepEqual((await second.retained.match('#')).map((m) => m.topic), ['long'])
  assert.deepEqual((await second.sessions.list()).map((s) => s.clientId), ['lasting'])
  assert.deepEqual(await second.sessions.outgoing('lasting'), [])
})

test('entries removed in one turn are deleted from the file, runs and gaps alike, and no others', async (t) => {
  const dir = tempDataDir(t)
  const first = await openTempSqlite(t, dir)
  await first.sessions.save({ clientId: 'c', protocolVersion: 5, expiryInterval: 3600, subscriptions: [] })
  await first.sessions.save({ clientId: 'd', protocolVersion: 5, expiryInterval: 3600, subscriptions: [] })
  const entries = Array.from({ length: 10 }, (_, i) => first.sessions.enqueue(i === 4 ? 'd' : 'c', { state: 'queued', qos: 1, message: plainMessage('t', String(i + 1)), retain: false, packetId: i + 1 }))
  await Promise.all(entries.map((e) => e.stored))
  // one turn: acknowledged out of order, a run (2-4), single ones (6, 9) and the other client's entry kept
  await Promise.all([9, 3, 2, 4, 6].map((packetId) => first.sessions.acknowledge('c', packetId)))
  await first.close()
  const second = await openTempSqlite(t, dir)
  const left = async (clientId: string) => (await second.sessions.outgoing(clientId)).map((e) => e.message.payload.toString())
  assert.deepEqual(await left('c'), ['1', '7', '8', '10'])
  assert.deepEqual(await left('d'), ['5'])
})
