import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'
import { clientId, collect, connectClient, describeVariant, expectNoMessage, nextEvent, VARIANTS } from './support.js'

for (const variant of VARIANTS) {
  const name = describeVariant(variant)

  test(`${name}: the will is published when the connection drops without DISCONNECT [MQTT-3.1.2-8]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const watcher = await connectClient(t, hub, variant)
    await watcher.subscribeAsync('wills/#', { qos: 1 })
    const dying = await connectClient(t, hub, variant, { will: { topic: 'wills/a', payload: Buffer.from('gone'), qos: 1, retain: false } })
    const received = collect(watcher, 1)
    dying.stream.destroy()
    const [will] = await received
    assert.equal(will?.payload.toString(), 'gone')
  })

  test(`${name}: a normal DISCONNECT discards the will [MQTT-3.1.2-10]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const watcher = await connectClient(t, hub, variant)
    await watcher.subscribeAsync('wills/#')
    const leaving = await connectClient(t, hub, variant, { will: { topic: 'wills/b', payload: Buffer.from('gone'), qos: 0, retain: false } })
    await leaving.endAsync()
    await expectNoMessage(watcher)
  })
}

test('5.0 DISCONNECT with reason 0x04 publishes the will (§3.14.2.1)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const watcher = await connectClient(t, hub, variant)
  await watcher.subscribeAsync('wills/#')
  const leaving = await connectClient(t, hub, variant, { will: { topic: 'wills/c', payload: Buffer.from('asked'), qos: 0, retain: false } })
  const received = collect(watcher, 1)
  await leaving.endAsync(false, { reasonCode: 0x04 })
  assert.equal((await received)[0]?.payload.toString(), 'asked')
})

test('5.0 will delay: not published when the client reconnects in time [MQTT-3.1.3-9]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const watcher = await connectClient(t, hub, variant)
  await watcher.subscribeAsync('wills/#')
  const id = clientId()
  const options = {
    clientId: id,
    clean: false,
    properties: { sessionExpiryInterval: 60 },
    will: { topic: 'wills/d', payload: Buffer.from('late'), qos: 0 as const, retain: false, properties: { willDelayInterval: 2 } },
  }
  const first = await connectClient(t, hub, variant, options)
  first.stream.destroy()
  await nextEvent(first, 'close')
  await connectClient(t, hub, variant, options)
  await expectNoMessage(watcher, 3000)
})

test('5.0 will delay: published after the delay, or at session expiry when that is sooner (§3.1.3.2.2)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const watcher = await connectClient(t, hub, variant)
  await watcher.subscribeAsync('wills/#')
  const delayed = await connectClient(t, hub, variant, {
    clean: false,
    properties: { sessionExpiryInterval: 60 },
    will: { topic: 'wills/delayed', payload: Buffer.from('1'), qos: 0, retain: false, properties: { willDelayInterval: 1 } },
  })
  const expiring = await connectClient(t, hub, variant, {
    clean: false,
    properties: { sessionExpiryInterval: 1 },
    will: { topic: 'wills/expired', payload: Buffer.from('2'), qos: 0, retain: false, properties: { willDelayInterval: 3600 } },
  })
  const received = collect(watcher, 2, 8000)
  delayed.stream.destroy()
  expiring.stream.destroy()
  const topics = (await received).map((m) => m.topic).sort()
  assert.deepEqual(topics, ['wills/delayed', 'wills/expired'])
})

test('an administrative disconnect sends 5.0 DISCONNECT 0x98 and publishes the will', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const watcher = await connectClient(t, hub, variant)
  await watcher.subscribeAsync('wills/#')
  const id = clientId()
  const victim = await connectClient(t, hub, variant, { clientId: id, will: { topic: 'wills/admin', payload: Buffer.from('kicked'), qos: 0, retain: false } })
  const disconnect = nextEvent(victim, 'disconnect')
  const received = collect(watcher, 1)
  assert.equal(hub.ctx.inspect.disconnect(id), true)
  assert.equal(((await disconnect)[0] as { reasonCode: number }).reasonCode, 0x98)
  assert.equal((await received)[0]?.topic, 'wills/admin')
  assert.equal(hub.ctx.inspect.disconnect('nobody'), false)
})
