import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, describeVariant, expectNoMessage, VARIANTS } from './support.js'

for (const variant of VARIANTS) {
  const name = describeVariant(variant)

  test(`${name}: a retained message is delivered on subscribe with RETAIN set [MQTT-3.3.1-6, MQTT-3.3.1-8]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const pub = await connectClient(t, hub, variant)
    await pub.publishAsync('state/lamp', 'on', { qos: 1, retain: true })
    await pub.publishAsync('state/door', 'closed', { qos: 0, retain: true })
    const sub = await connectClient(t, hub, variant)
    const received = collect(sub, 2)
    await sub.subscribeAsync('state/+', { qos: 1 })
    const messages = (await received).sort((a, b) => a.topic.localeCompare(b.topic))
    assert.deepEqual(messages.map((m) => [m.topic, m.payload.toString(), m.packet.retain, m.packet.qos]), [
      ['state/door', 'closed', true, 0],
      ['state/lamp', 'on', true, 1],
    ])
  })

  test(`${name}: a live message to an existing subscription is forwarded with RETAIN 0 [MQTT-3.3.1-9]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const sub = await connectClient(t, hub, variant)
    const pub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('live/#')
    const received = collect(sub, 1)
    await pub.publishAsync('live/x', 'v', { retain: true })
    assert.equal((await received)[0]?.packet.retain, false)
  })

  test(`${name}: an empty retained payload clears the retained message [MQTT-3.3.1-10, MQTT-3.3.1-11]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const pub = await connectClient(t, hub, variant)
    await pub.publishAsync('clear/me', 'x', { qos: 1, retain: true })
    await pub.publishAsync('clear/me', '', { qos: 1, retain: true })
    assert.equal(await hub.ctx.retained.get('clear/me'), undefined)
    const sub = await connectClient(t, hub, variant)
    await sub.subscribeAsync('clear/#')
    await expectNoMessage(sub)
  })
}

test('5.0 Retain Handling 1 sends retained messages only for a new subscription, 2 never (§3.8.3.1)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const pub = await connectClient(t, hub, variant)
  await pub.publishAsync('rh/a', 'kept', { qos: 1, retain: true })
  const sub = await connectClient(t, hub, variant)
  const first = collect(sub, 1)
  await sub.subscribeAsync('rh/#', { qos: 0, rh: 1 })
  await first
  await sub.subscribeAsync('rh/#', { qos: 0, rh: 1 })
  await expectNoMessage(sub)
  const never = await connectClient(t, hub, variant)
  await never.subscribeAsync('rh/#', { qos: 0, rh: 2 })
  await expectNoMessage(never)
})

test('5.0 Retain As Published keeps RETAIN on forwarded messages [MQTT-3.3.1-12, MQTT-3.3.1-13]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const sub = await connectClient(t, hub, variant)
  const pub = await connectClient(t, hub, variant)
  await sub.subscribeAsync('rap/kept', { qos: 0, rap: true })
  await sub.subscribeAsync('rap/cleared', { qos: 0, rap: false })
  const received = collect(sub, 2)
  await pub.publishAsync('rap/kept', '1', { retain: true })
  await pub.publishAsync('rap/cleared', '2', { retain: true })
  const byTopic = Object.fromEntries((await received).map((m) => [m.topic, m.packet.retain]))
  assert.deepEqual(byTopic, { 'rap/kept': true, 'rap/cleared': false })
})

test('retained messages are not sent for a shared subscription (5.0 §4.8.2)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const pub = await connectClient(t, hub, variant)
  await pub.publishAsync('shared-retain/x', 'r', { qos: 1, retain: true })
  const sub = await connectClient(t, hub, variant)
  await sub.subscribeAsync('$share/g/shared-retain/#')
  await expectNoMessage(sub)
})
