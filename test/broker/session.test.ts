import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet'
import { MemoryRetainedStore } from '../../src/store/memory/memory-retained-store.js'
import { MemoryRuleStore } from '../../src/store/memory/memory-rule-store.js'
import { MemorySessionStore } from '../../src/store/memory/memory-session-store.js'
import type { Enqueued, OutgoingInput } from '../../src/store/session-store.js'
import { startTestHub } from '../helpers/hub.js'
import { clientId, collect, connectClient, createClient, describeVariant, nextEvent, RawClient, VARIANTS } from './support.js'

/** Options for a session that outlives its connection, in either protocol level. */
function persistent(version: 4 | 5, id: string): object {
  return version === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId: id, clean: false }
}

for (const variant of VARIANTS) {
  const name = describeVariant(variant)

  test(`${name}: a persistent session keeps subscriptions and queues QoS 1 messages while offline [MQTT-3.1.2-4, MQTT-3.2.2-2]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const id = clientId()
    const sub = await connectClient(t, hub, variant, persistent(variant.protocolVersion, id))
    await sub.subscribeAsync('offline/#', { qos: 1 })
    await sub.endAsync()
    const pub = await connectClient(t, hub, variant)
    await pub.publishAsync('offline/1', 'a', { qos: 1 })
    await pub.publishAsync('offline/2', 'b', { qos: 1 })
    await pub.publishAsync('offline/0', 'dropped: QoS 0 is not queued', { qos: 0 })
    const sessions = await hub.ctx.inspect.sessions()
    assert.equal(sessions.find((s) => s.clientId === id)?.queued, 2)
    const back = createClient(t, hub, variant, persistent(variant.protocolVersion, id))
    const received = collect(back, 2)
    const connack = nextEvent(back, 'connect')
    back.connect()
    assert.equal(((await connack)[0] as IConnackPacket).sessionPresent, true)
    assert.deepEqual((await received).map((m) => m.payload.toString()), ['a', 'b'])
  })

  test(`${name}: a clean session starts empty and Session Present is 0 [MQTT-3.1.2-6, MQTT-3.2.2-1]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const id = clientId()
    const first = await connectClient(t, hub, variant, persistent(variant.protocolVersion, id))
    await first.subscribeAsync('gone/#', { qos: 1 })
    await first.endAsync()
    const again = createClient(t, hub, variant, { clientId: id, clean: true })
    const connack = nextEvent(again, 'connect')
    again.connect()
    assert.equal(((await connack)[0] as IConnackPacket).sessionPresent, false)
    assert.equal(hub.ctx.inspect.subscriptions().filter((s) => s.clientId === id).length, 0)
    assert.equal((await hub.ctx.sessions.get(id)), undefined)
  })
}

for (const version of [4, 5] as const) {
  test(`${version === 5 ? '5.0' : '3.1.1'}: an unacknowledged QoS 1 message is resent with DUP and the same packet id on resume [MQTT-4.4.0-1, MQTT-3.3.1-1]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const id = clientId('raw')
    const connectFields = version === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId: id, clean: false }
    const raw = await RawClient.open(t, hub, version)
    await raw.connect(connectFields)
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'redo/#', qos: 1 }] })
    await raw.next('suback')
    await hub.broker.publish({ topic: 'redo/x', payload: Buffer.from('again'), qos: 1 }, { protocol: 'system' })
    const first = (await raw.next('publish')) as IPublishPacket
    assert.equal(first.dup, false)
    raw.socket.destroy() // no PUBACK
    await raw.waitClosed()
    const again = await RawClient.open(t, hub, version)
    const connack = await again.connect(connectFields)
    assert.equal(connack.sessionPresent, true)
    const resent = (await again.next('publish')) as IPublishPacket
    assert.equal(resent.dup, true)
    assert.equal(resent.messageId, first.messageId)
    assert.equal(resent.payload.toString(), 'again')
  })
}

for (const [policy, expected] of [
  ['drop-oldest', ['3', '4', '5']],
  ['drop-new', ['1', '2', '3']],
] as const) {
  test(`the offline queue holds limits.maxQueuedMessages and ${policy} counts every drop`, async (t) => {
    const hub = await startTestHub({ mqtt: { limits: { maxQueuedMessages: 3, queueDropPolicy: policy } } })
    t.after(() => hub.close())
    const variant = { transport: 'tcp', protocolVersion: 5 } as const
    const id = clientId()
    const sub = await connectClient(t, hub, variant, persistent(5, id))
    await sub.subscribeAsync('q/#', { qos: 1 })
    await sub.endAsync()
    const dropped: string[] = []
    hub.ctx.events.on('message_dropped', (e) => dropped.push(e.message.payload.toString()))
    for (const n of ['1', '2', '3', '4', '5']) await hub.broker.publish({ topic: 'q/x', payload: Buffer.from(n), qos: 1 }, { protocol: 'system' })
    assert.equal(hub.ctx.stats.messagesDropped, 2)
    assert.equal(dropped.length, 2)
    const back = createClient(t, hub, variant, persistent(5, id))
    const received = collect(back, 3)
    back.connect()
    assert.deepEqual((await received).map((m) => m.payload.toString()), expected)
  })
}

test('5.0: a session ends after its Session Expiry Interval (§3.1.2.11.2)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const id = clientId('raw')
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'exp/#', qos: 1 }] })
  await raw.next('suback')
  raw.send({ cmd: 'disconnect' })
  await raw.waitClosed()
  assert.equal((await hub.ctx.inspect.sessions()).some((s) => s.clientId === id), true)
  const deadline = Date.now() + 5000
  while ((await hub.ctx.inspect.sessions()).some((s) => s.clientId === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  assert.equal((await hub.ctx.inspect.sessions()).some((s) => s.clientId === id), false)
  assert.equal(await hub.ctx.sessions.get(id), undefined)
  const again = await RawClient.open(t, hub, 5)
  assert.equal((await again.connect({ clientId: id, clean: false, properties: { sessionExpiryInterval: 1 } })).sessionPresent, false)
})

test('a persistent session survives a hub restart: subscriptions keep queueing and QoS 1 messages are delivered after it', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-session-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const config = { storage: { driver: 'sqlite' as const, dataDir } }
  const id = clientId()
  const variant = { transport: 'tcp', protocolVersion: 4 } as const
  const first = await startTestHub(config)
  const sub = await connectClient(t, first, variant, persistent(4, id))
  await sub.subscribeAsync('restart/#', { qos: 1 })
  await sub.endAsync()
  await first.broker.publish({ topic: 'restart/before', payload: Buffer.from('1'), qos: 1 }, { protocol: 'system' })
  await first.close()

  const second = await startTestHub(config)
  t.after(() => second.close())
  // The restored subscription receives into the offline queue
  await second.broker.publish({ topic: 'restart/after', payload: Buffer.from('2'), qos: 1 }, { protocol: 'system' })
  const back = createClient(t, second, variant, persistent(4, id))
  const received = collect(back, 2)
  back.connect()
  assert.deepEqual((await received).map((m) => m.topic), ['restart/before', 'restart/after'])
})

test('after a restart a pending delayed will is published on time and a QoS 2 packet id awaiting PUBREL is still known [MQTT-4.3.3-9]', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-session-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const config = { storage: { driver: 'sqlite' as const, dataDir } }
  const first = await startTestHub(config)
  const willId = clientId('will')
  const dying = await RawClient.open(t, first, 5)
  await dying.connect({
    clientId: willId,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    will: { topic: 'restart/will', payload: Buffer.from('late'), qos: 1, retain: true, properties: { willDelayInterval: 2 } },
  })
  dying.socket.destroy()
  await dying.waitClosed()
  const qos2Id = clientId('qos2')
  const publisher = await RawClient.open(t, first, 4)
  await publisher.connect({ clientId: qos2Id, clean: false })
  const publish: IPublishPacket = { cmd: 'publish', topic: 'restart/qos2', payload: Buffer.from('once'), qos: 2, messageId: 9, retain: true, dup: false }
  publisher.send(publish)
  await publisher.next('pubrec')
  publisher.socket.destroy()
  await publisher.waitClosed()
  await first.close()

  const second = await startTestHub(config)
  t.after(() => second.close())
  const watcher = await connectClient(t, second, { transport: 'tcp', protocolVersion: 4 })
  await watcher.subscribeAsync('restart/will', { qos: 1 })
  const will = collect(watcher, 1, 8000)
  // The resent PUBLISH is acknowledged but not routed again: the retained copy stays the first one
  const again = await RawClient.open(t, second, 4)
  assert.equal((await again.connect({ clientId: qos2Id, clean: false })).sessionPresent, true)
  const retainedBefore = await second.ctx.retained.get('restart/qos2')
  again.send({ ...publish, dup: true, payload: Buffer.from('twice') })
  await again.next('pubrec')
  again.send({ cmd: 'pubrel', messageId: 9 })
  await again.next('pubcomp')
  assert.equal((await second.ctx.retained.get('restart/qos2'))?.payload.toString(), 'once')
  assert.equal(retainedBefore?.id, (await second.ctx.retained.get('restart/qos2'))?.id)
  assert.equal((await will)[0]?.payload.toString(), 'late')
})

/** Memory session store whose enqueue() writes become durable only when the test opens the gate. */
class GatedSessionStore extends MemorySessionStore {
  open!: () => void
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve))

  override enqueue(clientId: string, input: OutgoingInput): Enqueued {
    return { seq: super.enqueue(clientId, input).seq, stored: this.gate }
  }
}

test('a stored session sends a QoS 2 message only once the store holds it, and later messages wait behind it [MQTT-4.6.0-6]', async (t) => {
  const sessions = new GatedSessionStore()
  const stores = { retained: new MemoryRetainedStore(), sessions, rules: new MemoryRuleStore(), close: async () => {} }
  const hub = await startTestHub({}, { stores })
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ clientId: clientId('raw'), clean: false, properties: { sessionExpiryInterval: 60 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'hold/#', qos: 2 }] })
  await raw.next('suback')
  const system = { protocol: 'system' } as const
  const exactlyOnce = hub.broker.publish({ topic: 'hold/a', payload: Buffer.from('qos 2'), qos: 2 }, system)
  const atLeastOnce = hub.broker.publish({ topic: 'hold/a', payload: Buffer.from('qos 1 after it'), qos: 1 }, system)
  await hub.broker.publish({ topic: 'hold/a', payload: Buffer.from('qos 0, not queued'), qos: 0 }, system)
  // QoS 0 is never queued: it arrives first while the two others wait for the store
  assert.equal(((await raw.next('publish')) as IPublishPacket).payload.toString(), 'qos 0, not queued')
  sessions.open()
  await Promise.all([exactlyOnce, atLeastOnce])
  const held = [(await raw.next('publish')) as IPublishPacket, (await raw.next('publish')) as IPublishPacket]
  assert.deepEqual(held.map((p) => [p.qos, p.payload.toString()]), [
    [2, 'qos 2'],
    [1, 'qos 1 after it'],
  ])
})

test('after a restart a queued message that already had its packet id goes out with that id and DUP set [MQTT-3.3.1-1]', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-session-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const config = { storage: { driver: 'sqlite' as const, dataDir } }
  const id = clientId('raw')
  // Receive Maximum 1: the second message stays queued (with its packet id) behind the first
  const connectFields = { clientId: id, clean: false, properties: { sessionExpiryInterval: 600, receiveMaximum: 1 } }
  const first = await startTestHub(config)
  const raw = await RawClient.open(t, first, 5)
  await raw.connect(connectFields)
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ids/#', qos: 1 }] })
  await raw.next('suback')
  for (const payload of ['one', 'two']) await first.broker.publish({ topic: 'ids/x', payload: Buffer.from(payload), qos: 1 }, { protocol: 'system' })
  const one = (await raw.next('publish')) as IPublishPacket
  assert.equal(one.dup, false)
  raw.socket.destroy() // no PUBACK
  await raw.waitClosed()
  await first.close()

  const second = await startTestHub(config)
  t.after(() => second.close())
  const again = await RawClient.open(t, second, 5)
  assert.equal((await again.connect(connectFields)).sessionPresent, true)
  const resent = (await again.next('publish')) as IPublishPacket
  assert.deepEqual([resent.payload.toString(), resent.messageId, resent.dup], ['one', one.messageId, true])
  again.send({ cmd: 'puback', messageId: resent.messageId as number })
  const two = (await again.next('publish')) as IPublishPacket
  assert.equal(two.payload.toString(), 'two')
  assert.equal(two.dup, true) // it may have been sent before the restart: the hub cannot tell
  assert.notEqual(two.messageId, one.messageId)
})
