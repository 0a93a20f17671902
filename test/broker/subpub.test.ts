import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, describeVariant, expectNoMessage, VARIANTS } from './support.js'

for (const variant of VARIANTS) {
  const name = describeVariant(variant)

  test(`${name}: a QoS 0 and a QoS 1 message reach a wildcard subscriber [MQTT-3.3.4-1]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant)
    const pub = await connectClient(t, hub, variant)
    const granted = await sub.subscribeAsync('sensors/+/temp', { qos: 1 })
    assert.equal(granted[0]?.qos, 1)
    const received = collect(sub, 2)
    await pub.publishAsync('sensors/kitchen/temp', '21.5', { qos: 0 })
    await pub.publishAsync('sensors/hall/temp', '19', { qos: 1 })
    const messages = await received
    assert.deepEqual(messages.map((m) => [m.topic, m.payload.toString(), m.packet.qos]), [
      ['sensors/kitchen/temp', '21.5', 0],
      ['sensors/hall/temp', '19', 1],
    ])
  })

  test(`${name}: delivery is downgraded to the granted QoS [MQTT-3.8.4-8]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant)
    const pub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('down/#', { qos: 0 })
    const received = collect(sub, 1)
    await pub.publishAsync('down/x', 'hi', { qos: 2 })
    assert.equal((await received)[0]?.packet.qos, 0)
  })

  test(`${name}: after UNSUBSCRIBE no more messages arrive and PINGREQ is answered [MQTT-3.10.4-6, MQTT-3.12.4-1]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant, { keepalive: 1 })
    const pub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('a/b')
    const first = collect(sub, 1)
    await pub.publishAsync('a/b', '1')
    await first
    await sub.unsubscribeAsync('a/b')
    await pub.publishAsync('a/b', '2')
    await expectNoMessage(sub)
    // keepalive 1 s: MQTT.js pings; the connection survives several keep alive periods
    await new Promise((r) => setTimeout(r, 1600))
    assert.equal(sub.connected, true)
  })
}

test('a # subscriber does not get $SYS topics, a $SYS/# one does [MQTT-4.7.2-1]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 4 } as const
  const all = await connectClient(t, hub, variant)
  const sys = await connectClient(t, hub, variant)
  await all.subscribeAsync('#')
  await sys.subscribeAsync('$SYS/#')
  const gotSys = collect(sys, 1)
  await hub.broker.publish({ topic: '$SYS/test', payload: Buffer.from('x') }, { protocol: 'system' })
  await gotSys
  await expectNoMessage(all)
})

test('subscribe and unsubscribe emit session events; counters follow the traffic', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const events: string[] = []
  hub.ctx.events.on('session_subscribed', (e) => events.push(`+${e.filter}@${e.qos}`))
  hub.ctx.events.on('session_unsubscribed', (e) => events.push(`-${e.filter}`))
  const sub = await connectClient(t, hub, variant)
  const pub = await connectClient(t, hub, variant)
  assert.equal(hub.ctx.stats.connections, 2)
  await sub.subscribeAsync('count/#', { qos: 1 })
  const bytesOutBefore = hub.ctx.stats.bytesOut
  const received = collect(sub, 3)
  for (const n of [1, 2, 3]) await pub.publishAsync('count/x', String(n), { qos: 1 })
  await received
  await sub.unsubscribeAsync('count/#')
  assert.deepEqual(events, ['+count/#@1', '-count/#'])
  assert.equal(hub.ctx.stats.messagesIn.mqtt, 3)
  assert.equal(hub.ctx.stats.messagesOut.mqtt, 3)
  assert.ok(hub.ctx.stats.bytesOut > bytesOutBefore)
  assert.deepEqual(hub.ctx.inspect.subscriptions(), [])
})

test('overlapping subscriptions get one copy each, with their own QoS [MQTT-3.3.4-2]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 4 } as const
  const sub = await connectClient(t, hub, variant)
  await sub.subscribeAsync({ 'overlap/#': { qos: 0 }, 'overlap/+': { qos: 1 } })
  const received = collect(sub, 2)
  await hub.broker.publish({ topic: 'overlap/x', payload: Buffer.from('x'), qos: 1 }, { protocol: 'system' })
  assert.deepEqual((await received).map((m) => m.packet.qos).sort(), [0, 1])
})
