import assert from 'node:assert/strict'
import { test } from 'node:test'
import { plainMessage } from '../contract/fixtures.js'
import { openTempSqlite } from './temp-sqlite.js'

test('the writes of one event-loop turn share one transaction', async (t) => {
  const stores = await openTempSqlite(t)
  await new Promise((resolve) => setImmediate(resolve))
  const before = { ...stores.commits.counters }
  const writes: Array<Promise<unknown>> = Array.from({ length: 500 }, (_, i) => stores.sessions.enqueue('c', { state: 'queued', qos: 1, message: plainMessage('t', String(i)), retain: false }).stored)
  writes.push(stores.retained.set(plainMessage('r')))
  await Promise.all(writes)
  assert.equal(stores.commits.counters.commits - before.commits, 1)
  assert.equal(stores.commits.counters.writes - before.writes, 501)
})

test('a write resolves only after its transaction committed', async (t) => {
  const stores = await openTempSqlite(t)
  await new Promise((resolve) => setImmediate(resolve))
  const commitsBefore = stores.commits.counters.commits
  let committedWhenResolved = -1
  await stores.sessions.addIncoming('c', 1).then(() => (committedWhenResolved = stores.commits.counters.commits))
  assert.equal(committedWhenResolved, commitsBefore + 1)
})

test('writes of later turns go into later transactions', async (t) => {
  const stores = await openTempSqlite(t)
  await new Promise((resolve) => setImmediate(resolve))
  const before = stores.commits.counters.commits
  for (let i = 0; i < 3; i++) await stores.sessions.addIncoming('c', i)
  assert.equal(stores.commits.counters.commits - before, 3)
})

test('a write after close is refused with a clear error', async (t) => {
  const stores = await openTempSqlite(t)
  await stores.close()
  await assert.rejects(stores.sessions.addIncoming('c', 1), { code: 'HUB_ERR_SHUTTING_DOWN' })
})
