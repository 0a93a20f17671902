import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IDisconnectPacket, IPublishPacket } from 'mqtt-packet'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, RawClient } from './support.js'

test("the hub honours a client's Receive Maximum: no more unacknowledged QoS 1 PUBLISHes than it allows [MQTT-3.3.4-9]", async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ properties: { receiveMaximum: 2 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flow/#', qos: 1 }] })
  await raw.next('suback')
  for (let i = 0; i < 5; i++) await hub.broker.publish({ topic: 'flow/x', payload: Buffer.from(String(i)), qos: 1 }, { protocol: 'system' })
  const first = (await raw.next('publish')) as IPublishPacket
  const second = (await raw.next('publish')) as IPublishPacket
  await assert.rejects(raw.next('publish', 300), /no publish/)
  assert.equal(hub.ctx.inspect.clients()[0]?.queued, 3)
  raw.send({ cmd: 'puback', messageId: first.messageId as number })
  const third = (await raw.next('publish')) as IPublishPacket
  assert.deepEqual([first, second, third].map((p) => p.payload.toString()), ['0', '1', '2'])
  raw.send({ cmd: 'puback', messageId: second.messageId as number })
  raw.send({ cmd: 'puback', messageId: third.messageId as number })
  const rest = [(await raw.next('publish')) as IPublishPacket, (await raw.next('publish')) as IPublishPacket]
  assert.deepEqual(rest.map((p) => p.payload.toString()), ['3', '4'])
})

test('a client exceeding the hub Receive Maximum gets DISCONNECT 0x93 [MQTT-3.3.4-7]', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxInflight: 2 } } })
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  const connack = await raw.connect()
  assert.equal(connack.properties?.receiveMaximum, 2)
  for (const messageId of [1, 2, 3]) {
    // QoS 2 without PUBREL: each stays unacknowledged
    raw.send({ cmd: 'publish', topic: 'rm/x', payload: Buffer.from('x'), qos: 2, messageId, retain: false, dup: false })
  }
  assert.equal(((await raw.next('disconnect')) as IDisconnectPacket).reasonCode, 0x93)
  await raw.waitClosed()
  assert.ok(hub.ctx.stats.limitBreaches >= 1)
})

test('limits.publishRate: a client publishing faster is disconnected with 0x96 Message rate too high', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { publishRate: 5 } } })
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  for (let i = 0; i < 20; i++) raw.send({ cmd: 'publish', topic: 'rate/x', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
  assert.equal(((await raw.next('disconnect')) as IDisconnectPacket).reasonCode, 0x96)
  await raw.waitClosed()
})

test('a slow subscriber: QoS 0 beyond limits.maxWriteBuffer is dropped and counted, QoS 1 waits in its queue, others are unaffected', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxWriteBuffer: 64 * 1024 } } })
  t.after(() => hub.close())
  const slow = await RawClient.open(t, hub, 4)
  await slow.connect()
  slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'firehose/#', qos: 1 }] })
  await slow.next('suback')
  slow.socket.pause() // stops reading: the kernel buffers fill, then the hub's socket buffer
  const fast = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 4 })
  await fast.subscribeAsync('firehose/#', { qos: 0 })
  const payload = Buffer.alloc(32 * 1024, 1)
  // Bounded: 600 x 32 KB is far more than the kernel buffers of one loopback connection hold
  for (let i = 0; i < 600 && hub.ctx.stats.messagesDropped === 0; i++) {
    const got = collect(fast, 1)
    await hub.broker.publish({ topic: 'firehose/x', payload, qos: 0 }, { protocol: 'system' })
    await got // the reading subscriber gets every message
  }
  assert.ok(hub.ctx.stats.messagesDropped > 0, 'QoS 0 messages to the slow subscriber were dropped')
  // QoS 1 is queued, not dropped, while the window is full
  const droppedBefore = hub.ctx.stats.messagesDropped
  for (let i = 0; i < 5; i++) await hub.broker.publish({ topic: 'firehose/q', payload: Buffer.from('q'), qos: 1 }, { protocol: 'system' })
  assert.equal(hub.ctx.stats.messagesDropped, droppedBefore)
  const info = hub.ctx.inspect.clients().find((c) => c.queued > 0)
  assert.equal(info?.queued, 5)
})

test('a 5.0 client with a large Receive Maximum still gets no more than limits.maxInflight unacknowledged', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxInflight: 3 } } })
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ properties: { receiveMaximum: 1000 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'cap/#', qos: 1 }] })
  await raw.next('suback')
  for (let i = 0; i < 6; i++) await hub.broker.publish({ topic: 'cap/x', payload: Buffer.from(String(i)), qos: 1 }, { protocol: 'system' })
  for (let i = 0; i < 3; i++) await raw.next('publish')
  await assert.rejects(raw.next('publish', 300), /no publish/)
  assert.equal(hub.ctx.inspect.clients()[0]?.inflight, 3)
  assert.equal(hub.ctx.inspect.clients()[0]?.queued, 3)
})

test('limits.maxTopicLevels: a deeper PUBLISH topic gets DISCONNECT 0x90, a deeper filter SUBACK 0x8F', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxTopicLevels: 3 } } })
  t.after(() => hub.close())
  const sub = await RawClient.open(t, hub, 5)
  await sub.connect()
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/b/+', qos: 0 }, { topic: 'a/b/c/#', qos: 0 }] })
  assert.deepEqual(((await sub.next('suback')) as { granted: number[] }).granted, [0, 0x8f])
  const pub = await RawClient.open(t, hub, 5)
  await pub.connect()
  pub.send({ cmd: 'publish', topic: 'a/b/c', payload: Buffer.from('ok'), qos: 0, retain: false, dup: false })
  assert.equal(((await sub.next('publish')) as IPublishPacket).topic, 'a/b/c')
  pub.send({ cmd: 'publish', topic: 'a/b/c/d', payload: Buffer.from('deep'), qos: 0, retain: false, dup: false })
  assert.equal(((await pub.next('disconnect')) as IDisconnectPacket).reasonCode, 0x90)
})

test('limits.maxQueuedBytes bounds a session queue by payload bytes', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxQueuedBytes: 10, queueDropPolicy: 'drop-new' } } })
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ clientId: 'bytes-limited', clean: false, properties: { sessionExpiryInterval: 60 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bytes/#', qos: 1 }] })
  await raw.next('suback')
  raw.send({ cmd: 'disconnect' })
  await raw.waitClosed()
  for (const p of ['1111', '2222', '3333']) await hub.broker.publish({ topic: 'bytes/x', payload: Buffer.from(p), qos: 1 }, { protocol: 'system' })
  assert.equal((await hub.ctx.inspect.sessions()).find((s) => s.clientId === 'bytes-limited')?.queued, 2)
  assert.equal(hub.ctx.stats.messagesDropped, 1)
})
