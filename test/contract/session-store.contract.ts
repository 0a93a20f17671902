import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { OutgoingInput, SessionRecord, SessionStore } from '../../src/store/session-store.js'
import { enqueued, fullMessage, plainMessage } from './fixtures.js'

/** Builds a fresh, empty store and registers its cleanup with `t.after`. */
export type MakeSessionStore = (t: TestContext) => Promise<SessionStore>

function queued(topic: string, payload = 'x'): OutgoingInput {
  return { state: 'queued', qos: 1, message: plainMessage(topic, payload), retain: false }
}

/** The behaviour every SessionStore implementation must have. */
export function runSessionStoreContract(makeStore: MakeSessionStore): void {
  test('a saved session comes back with its subscriptions, expiry and delayed will', async (t) => {
    const store = await makeStore(t)
    const session: SessionRecord = {
      clientId: 'c1',
      protocolVersion: 5,
      expiryInterval: 3600,
      disconnectedAt: 1_700_000_000_123,
      subscriptions: [
        { filter: 'a/#', qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 2, subscriptionId: 7 },
        { filter: 'b/+', qos: 0 },
      ],
      will: { message: fullMessage('will/c1'), publishAt: 1_700_000_060_000 },
    }
    await store.save(session)
    assert.deepEqual(await store.get('c1'), session)
    const bare: SessionRecord = { clientId: 'c2', protocolVersion: 4, expiryInterval: 0xffffffff, subscriptions: [] }
    await store.save(bare)
    assert.deepEqual(await store.get('c2'), bare)
  })

  test('saving again replaces the session, dropping subscriptions and will no longer there', async (t) => {
    const store = await makeStore(t)
    await store.save({ clientId: 'c', protocolVersion: 5, expiryInterval: 10, subscriptions: [{ filter: 'x', qos: 1 }], will: { message: plainMessage('w'), publishAt: 5 } })
    const next: SessionRecord = { clientId: 'c', protocolVersion: 5, expiryInterval: 20, subscriptions: [{ filter: 'y', qos: 2 }] }
    await store.save(next)
    assert.deepEqual(await store.get('c'), next)
  })

  test('get and list return copies that do not change the stored session', async (t) => {
    const store = await makeStore(t)
    await store.save({ clientId: 'c', protocolVersion: 4, expiryInterval: 60, subscriptions: [{ filter: 'x', qos: 1 }] })
    const copy = await store.get('c')
    assert.ok(copy)
    copy.subscriptions.push({ filter: 'y', qos: 0 })
    copy.subscriptions[0]!.qos = 0
    const [listed] = await store.list()
    assert.deepEqual(listed?.subscriptions, [{ filter: 'x', qos: 1 }])
  })

  test('list returns every session and an unknown client has none', async (t) => {
    const store = await makeStore(t)
    for (const clientId of ['a', 'b', 'c']) await store.save({ clientId, protocolVersion: 4, expiryInterval: 60, subscriptions: [] })
    assert.deepEqual((await store.list()).map((s) => s.clientId).sort(), ['a', 'b', 'c'])
    assert.equal(await store.get('nobody'), undefined)
  })

  test('enqueued messages come back in order of arrival with every field', async (t) => {
    const store = await makeStore(t)
    const first = await enqueued(store, 'c', { state: 'queued', qos: 2, message: fullMessage('t/1'), retain: true, subscriptionIds: [3, 9] })
    const second = await enqueued(store, 'c', queued('t/2'))
    assert.ok(second.seq > first.seq)
    const entries = await store.outgoing('c')
    assert.deepEqual(entries, [first, second])
    assert.deepEqual(entries[0]?.subscriptionIds, [3, 9])
    assert.equal(entries[0]?.retain, true)
    assert.equal(entries[1]?.packetId, undefined)
  })

  test('queueSize counts the entries not yet sent and their payload bytes', async (t) => {
    const store = await makeStore(t)
    assert.deepEqual(await store.queueSize('c'), { count: 0, bytes: 0 })
    const a = await enqueued(store, 'c', queued('t', 'aaaa'))
    await enqueued(store, 'c', queued('t', 'bb'))
    assert.deepEqual(await store.queueSize('c'), { count: 2, bytes: 6 })
    await store.markSent('c', a.seq, 1)
    assert.deepEqual(await store.queueSize('c'), { count: 1, bytes: 2 })
  })

  test('a QoS 1 entry goes queued, sent with a packet id, then away on PUBACK', async (t) => {
    const store = await makeStore(t)
    const entry = await enqueued(store, 'c', queued('t'))
    await store.markSent('c', entry.seq, 42)
    assert.deepEqual((await store.outgoing('c')).map((e) => [e.state, e.packetId]), [['sent', 42]])
    await store.acknowledge('c', 42)
    assert.deepEqual(await store.outgoing('c'), [])
  })

  test('a QoS 2 entry goes sent, released on PUBREC, then away on PUBCOMP', async (t) => {
    const store = await makeStore(t)
    const entry = await enqueued(store, 'c', { ...queued('t'), qos: 2 })
    await store.markSent('c', entry.seq, 7)
    await store.markReleased('c', 7)
    const [released] = await store.outgoing('c')
    assert.equal(released?.state, 'released')
    assert.equal(released?.packetId, 7)
    await store.acknowledge('c', 7)
    assert.deepEqual(await store.outgoing('c'), [])
  })

  test('acknowledging a packet id leaves queued entries and other clients alone', async (t) => {
    const store = await makeStore(t)
    const sent = await enqueued(store, 'c', queued('t/1'))
    const waiting = await enqueued(store, 'c', queued('t/2'))
    const other = await enqueued(store, 'd', queued('t/3'))
    await store.markSent('c', sent.seq, 5)
    await store.markSent('d', other.seq, 5)
    await store.acknowledge('c', 5)
    await store.acknowledge('c', 99)
    assert.deepEqual((await store.outgoing('c')).map((e) => e.seq), [waiting.seq])
    assert.deepEqual((await store.outgoing('d')).map((e) => [e.seq, e.state]), [[other.seq, 'sent']])
  })

  test('removeOutgoing drops one entry by sequence and updates the queue size', async (t) => {
    const store = await makeStore(t)
    const a = await enqueued(store, 'c', queued('t', 'abc'))
    const b = await enqueued(store, 'c', queued('t', 'de'))
    await store.removeOutgoing('c', a.seq)
    await store.removeOutgoing('c', 123456)
    await store.removeOutgoing('nobody', a.seq)
    assert.deepEqual((await store.outgoing('c')).map((e) => e.seq), [b.seq])
    assert.deepEqual(await store.queueSize('c'), { count: 1, bytes: 2 })
  })

  test('operations on unknown entries or clients change nothing', async (t) => {
    const store = await makeStore(t)
    await store.markSent('nobody', 1, 1)
    await store.markReleased('nobody', 1)
    await store.acknowledge('nobody', 1)
    await store.removeIncoming('nobody', 1)
    assert.deepEqual(await store.outgoing('nobody'), [])
    assert.deepEqual(await store.incoming('nobody'), [])
  })

  test('QoS 2 inbound packet ids are kept once each until released [MQTT-4.3.3-9]', async (t) => {
    const store = await makeStore(t)
    await store.addIncoming('c', 1)
    await store.addIncoming('c', 2)
    await store.addIncoming('c', 2)
    await store.addIncoming('d', 1)
    assert.deepEqual((await store.incoming('c')).sort(), [1, 2])
    await store.removeIncoming('c', 1)
    assert.deepEqual(await store.incoming('c'), [2])
    assert.deepEqual(await store.incoming('d'), [1])
  })

  test('deleting a session removes its queue and in-flight state', async (t) => {
    const store = await makeStore(t)
    await store.save({ clientId: 'c', protocolVersion: 5, expiryInterval: 60, subscriptions: [] })
    await enqueued(store, 'c', queued('t'))
    await store.addIncoming('c', 3)
    await store.delete('c')
    assert.equal(await store.get('c'), undefined)
    assert.deepEqual(await store.outgoing('c'), [])
    assert.deepEqual(await store.incoming('c'), [])
    assert.deepEqual(await store.queueSize('c'), { count: 0, bytes: 0 })
  })

  test('many concurrent writes of one turn all land, in order', async (t) => {
    const store = await makeStore(t)
    const inputs = Array.from({ length: 200 }, (_, i) => queued('t', String(i)))
    await Promise.all(inputs.map((input) => store.enqueue('c', input).stored))
    const stored = await store.outgoing('c')
    assert.deepEqual(stored.map((e) => e.message.payload.toString()), inputs.map((_, i) => String(i)))
    assert.deepEqual(await store.queueSize('c'), { count: 200, bytes: inputs.reduce((n, e) => n + e.message.payload.length, 0) })
  })

  test('the sequence number comes back at once, and updates made before the entry is durable apply in order', async (t) => {
    const store = await makeStore(t)
    const a = store.enqueue('c', queued('t/a'))
    const b = store.enqueue('c', queued('t/b'))
    const c = store.enqueue('c', queued('t/c'))
    assert.ok(a.seq < b.seq && b.seq < c.seq)
    const updates = [store.markSent('c', a.seq, 1), store.acknowledge('c', 1), store.markSent('c', b.seq, 2), store.removeOutgoing('c', c.seq)]
    await Promise.all([a.stored, b.stored, c.stored, ...updates])
    assert.deepEqual((await store.outgoing('c')).map((e) => [e.seq, e.state, e.packetId]), [[b.seq, 'sent', 2]])
  })

  test('a queued entry that holds its packet id is found by it: acknowledged, or released for QoS 2', async (t) => {
    const store = await makeStore(t)
    const one = await enqueued(store, 'c', { ...queued('t/1'), packetId: 9 })
    const two = await enqueued(store, 'c', { ...queued('t/2'), qos: 2, packetId: 10 })
    assert.deepEqual((await store.outgoing('c')).map((e) => [e.seq, e.state, e.packetId]), [
      [one.seq, 'queued', 9],
      [two.seq, 'queued', 10],
    ])
    assert.deepEqual(await store.queueSize('c'), { count: 2, bytes: 2 })
    await store.acknowledge('c', 9)
    await store.markReleased('c', 10)
    assert.deepEqual((await store.outgoing('c')).map((e) => [e.seq, e.state, e.packetId]), [[two.seq, 'released', 10]])
    assert.deepEqual(await store.queueSize('c'), { count: 0, bytes: 0 })
  })
}
