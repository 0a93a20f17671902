import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPublishPacket, IPubrecPacket } from 'mqtt-packet'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, describeVariant, expectNoMessage, RawClient, VARIANTS } from './support.js'

for (const variant of VARIANTS) {
  test(`${describeVariant(variant)}: QoS 2 messages are delivered exactly once in both directions [MQTT-4.3.3]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant)
    const pub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('exactly/#', { qos: 2 })
    const received = collect(sub, 3)
    for (const n of [1, 2, 3]) await pub.publishAsync(`exactly/${n}`, String(n), { qos: 2 })
    const messages = await received
    assert.deepEqual(messages.map((m) => [m.topic, m.packet.qos]), [
      ['exactly/1', 2],
      ['exactly/2', 2],
      ['exactly/3', 2],
    ])
    await expectNoMessage(sub)
  })
}

for (const version of [4, 5] as const) {
  test(`${version === 5 ? '5.0' : '3.1.1'}: a resent QoS 2 PUBLISH before PUBREL is acknowledged but not delivered twice [MQTT-4.3.3-9]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, { transport: 'tcp', protocolVersion: version })
    await sub.subscribeAsync('once/#', { qos: 2 })
    const raw = await RawClient.open(t, hub, version)
    await raw.connect()
    const publish: IPublishPacket = { cmd: 'publish', topic: 'once/a', payload: Buffer.from('x'), qos: 2, messageId: 7, retain: false, dup: false }
    // The hub routes a QoS 2 message when the PUBLISH arrives (5.0 §4.3.3 method A) and remembers its id
    const first = collect(sub, 1)
    raw.send(publish)
    assert.equal(((await raw.next('pubrec')) as IPubrecPacket).messageId, 7)
    raw.send({ ...publish, dup: true })
    assert.equal(((await raw.next('pubrec')) as IPubrecPacket).messageId, 7)
    raw.send({ cmd: 'pubrel', messageId: 7 })
    assert.equal((await raw.next('pubcomp')).messageId, 7)
    assert.equal((await first)[0]?.topic, 'once/a')
    await expectNoMessage(sub)
    // After PUBCOMP the id is free: a new message with id 7 is a new message
    const second = collect(sub, 1)
    raw.send({ ...publish, topic: 'once/b' })
    await raw.next('pubrec')
    assert.equal((await second)[0]?.topic, 'once/b')
  })
}

test('outbound QoS 2: PUBLISH, PUBREC from the client, PUBREL, PUBCOMP frees the packet id [MQTT-4.3.3-4]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'out/#', qos: 2 }] })
  await raw.next('suback')
  await hub.broker.publish({ topic: 'out/1', payload: Buffer.from('1'), qos: 2 }, { protocol: 'system' })
  const publish = (await raw.next('publish')) as IPublishPacket
  assert.equal(publish.qos, 2)
  raw.send({ cmd: 'pubrec', messageId: publish.messageId as number })
  assert.equal((await raw.next('pubrel')).messageId, publish.messageId)
  assert.equal(hub.ctx.inspect.clients()[0]?.inflight, 1)
  raw.send({ cmd: 'pubcomp', messageId: publish.messageId as number })
  const deadline = Date.now() + 5000
  while (hub.ctx.inspect.clients()[0]?.inflight !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  assert.equal(hub.ctx.inspect.clients()[0]?.inflight, 0)
})
