import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPubackPacket, IPublishPacket, ISubackPacket } from 'mqtt-packet'
import { createDefaultHooks } from '../../src/hooks.js'
import { startTestHub } from '../helpers/hub.js'
import { clientId, collect, connectClient, createClient, describeVariant, expectNoMessage, RawClient } from './support.js'

const V5 = [
  { transport: 'tcp', protocolVersion: 5 },
  { transport: 'ws', protocolVersion: 5 },
] as const

for (const variant of V5) {
  const name = describeVariant(variant)

  test(`${name}: user properties, content type, payload format and request/response properties pass through [MQTT-3.3.2-15..20]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant)
    const pub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('props/#', { qos: 1 })
    const received = collect(sub, 1)
    await pub.publishAsync('props/a', '{"a":1}', {
      qos: 1,
      properties: {
        userProperties: { origin: 'test', tags: ['x', 'y'] },
        contentType: 'application/json',
        payloadFormatIndicator: true,
        responseTopic: 'replies/1',
        correlationData: Buffer.from([9, 8, 7]),
      },
    })
    const props = (await received)[0]?.packet.properties
    assert.deepEqual({ ...props?.userProperties }, { origin: 'test', tags: ['x', 'y'] })
    assert.equal(props?.contentType, 'application/json')
    assert.equal(props?.payloadFormatIndicator, true)
    assert.equal(props?.responseTopic, 'replies/1')
    assert.deepEqual(props?.correlationData, Buffer.from([9, 8, 7]))
  })

  test(`${name}: a Subscription Identifier comes back on matching messages (§3.8.2.1.2, [MQTT-3.3.4-3])`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant)
    const pub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('ids/#', { qos: 0, properties: { subscriptionIdentifier: 42 } })
    const received = collect(sub, 1)
    await pub.publishAsync('ids/a', 'x')
    assert.equal((await received)[0]?.packet.properties?.subscriptionIdentifier, 42)
  })

  test(`${name}: No Local keeps a client's own messages from it [MQTT-3.8.3-3]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const client = await connectClient(t, hub, variant)
    const other = await connectClient(t, hub, variant)
    await client.subscribeAsync('chat/#', { qos: 0, nl: true })
    await client.publishAsync('chat/room', 'mine')
    await expectNoMessage(client)
    const received = collect(client, 1)
    await other.publishAsync('chat/room', 'theirs')
    assert.equal((await received)[0]?.payload.toString(), 'theirs')
  })
}

test('5.0: message expiry drops a queued message once expired and sends the remaining interval otherwise [MQTT-3.3.2-5, MQTT-3.3.2-6]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const id = clientId()
  const options = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } }
  const sub = await connectClient(t, hub, variant, options)
  await sub.subscribeAsync('exp/#', { qos: 1 })
  await sub.endAsync()
  const pub = await connectClient(t, hub, variant)
  await pub.publishAsync('exp/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 1 } })
  await pub.publishAsync('exp/long', 'kept', { qos: 1, properties: { messageExpiryInterval: 100 } })
  await new Promise((r) => setTimeout(r, 2100))
  const back = createClient(t, hub, variant, options)
  const received = collect(back, 1)
  back.connect()
  const [message] = await received
  assert.equal(message?.topic, 'exp/long')
  const remaining = message?.packet.properties?.messageExpiryInterval ?? 0
  assert.ok(remaining < 100 && remaining >= 90, `remaining expiry ${remaining}`)
  await expectNoMessage(back)
  assert.ok(hub.ctx.stats.messagesDropped >= 1)
})

test('5.0: a payload marked UTF-8 that is not gets PUBACK 0x99 Payload format invalid (§3.3.2.3.2)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.send({ cmd: 'publish', topic: 'pfi', payload: Buffer.from([0xff, 0xfe]), qos: 1, messageId: 3, retain: false, dup: false, properties: { payloadFormatIndicator: true } })
  assert.equal(((await raw.next('puback')) as IPubackPacket).reasonCode, 0x99)
})

test('5.0: PUBACK says 0x10 No matching subscribers when nobody listens', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.send({ cmd: 'publish', topic: 'nobody/here', payload: Buffer.from('x'), qos: 1, messageId: 4, retain: false, dup: false })
  assert.equal(((await raw.next('puback')) as IPubackPacket).reasonCode, 0x10)
})

function restrictedHooks(): ReturnType<typeof createDefaultHooks> {
  const hooks = createDefaultHooks()
  hooks.authorizePublish = (_identity, topic) => !topic.startsWith('secret/')
  hooks.authorizeSubscribe = async (_identity, filter) => !filter.startsWith('secret/')
  return hooks
}

test('a publish the ACL denies: 5.0 PUBACK 0x87, the message goes nowhere; 3.1.1 the connection closes [MQTT-3.3.5-2]', async (t) => {
  const hub = await startTestHub({}, { hooks: restrictedHooks() })
  t.after(() => hub.close())
  const watcher = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 })
  await watcher.subscribeAsync('#')
  const v5 = await RawClient.open(t, hub, 5)
  await v5.connect()
  v5.send({ cmd: 'publish', topic: 'secret/x', payload: Buffer.from('x'), qos: 1, messageId: 5, retain: false, dup: false })
  assert.equal(((await v5.next('puback')) as IPubackPacket).reasonCode, 0x87)
  const v4 = await RawClient.open(t, hub, 4)
  await v4.connect()
  v4.send({ cmd: 'publish', topic: 'secret/y', payload: Buffer.from('y'), qos: 1, messageId: 5, retain: false, dup: false })
  await v4.waitClosed()
  await expectNoMessage(watcher)
})

test('a subscription the ACL denies: SUBACK 0x87 in 5.0, 0x80 in 3.1.1, per filter [MQTT-3.9.3-1]', async (t) => {
  const hub = await startTestHub({}, { hooks: restrictedHooks() })
  t.after(() => hub.close())
  for (const [version, denied, invalid] of [
    [5, 0x87, 0x8f],
    [4, 0x80, 0x80],
  ] as const) {
    const raw = await RawClient.open(t, hub, version)
    await raw.connect()
    raw.send({
      cmd: 'subscribe',
      messageId: 9,
      subscriptions: [
        { topic: 'open/#', qos: 1 },
        { topic: 'secret/#', qos: 1 },
        { topic: 'bad/#/filter', qos: 0 },
      ],
    })
    const suback = (await raw.next('suback')) as ISubackPacket
    assert.deepEqual(suback.granted, [1, denied, invalid])
  }
})

test('outbound topic aliases: a 5.0 client with Topic Alias Maximum gets the topic once, then the alias (§3.3.2.3.4)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ properties: { topicAliasMaximum: 5 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alias/#', qos: 0 }] })
  await raw.next('suback')
  for (const n of [1, 2]) await hub.broker.publish({ topic: 'alias/long/topic/name', payload: Buffer.from(String(n)) }, { protocol: 'system' })
  const first = (await raw.next('publish')) as IPublishPacket
  const second = (await raw.next('publish')) as IPublishPacket
  assert.equal(first.topic, 'alias/long/topic/name')
  assert.equal(first.properties?.topicAlias, 1)
  assert.equal(second.topic, '')
  assert.equal(second.properties?.topicAlias, 1)
  assert.equal(second.payload.toString(), '2')
})

test('5.0: a client Maximum Packet Size is respected: larger messages are dropped and counted [MQTT-3.1.2-24, MQTT-3.1.2-25]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ properties: { maximumPacketSize: 100 } })
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'size/#', qos: 1 }] })
  await raw.next('suback')
  await hub.broker.publish({ topic: 'size/big', payload: Buffer.alloc(200), qos: 1 }, { protocol: 'system' })
  await hub.broker.publish({ topic: 'size/small', payload: Buffer.alloc(10), qos: 1 }, { protocol: 'system' })
  const got = (await raw.next('publish')) as IPublishPacket
  assert.equal(got.topic, 'size/small')
  assert.equal(hub.ctx.stats.messagesDropped, 1)
  assert.equal(hub.ctx.inspect.clients()[0]?.inflight, 1) // the dropped one is not waiting for an ack
})
