import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IDisconnectPacket, IPublishPacket } from 'mqtt-packet'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, RawClient } from './support.js'

test('5.0 inbound topic alias: set with the first PUBLISH, then used with an empty topic (§3.3.2.3.4)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 })
  await sub.subscribeAsync('aliased/#')
  const raw = await RawClient.open(t, hub, 5)
  const connack = await raw.connect()
  assert.equal(connack.properties?.topicAliasMaximum, hub.config.mqtt.limits.topicAliasMaximum)
  const received = collect(sub, 2)
  const base: IPublishPacket = { cmd: 'publish', topic: 'aliased/topic', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } }
  raw.send(base)
  raw.send({ ...base, topic: '', payload: Buffer.from('2') })
  assert.deepEqual((await received).map((m) => [m.topic, m.payload.toString()]), [
    ['aliased/topic', '1'],
    ['aliased/topic', '2'],
  ])
})

test('MQTT.js with automatic topic aliases publishes through the hub', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 })
  await sub.subscribeAsync('auto/#')
  const pub = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 }, { autoAssignTopicAlias: true, autoUseTopicAlias: true })
  const received = collect(sub, 3)
  for (const n of [1, 2, 3]) await pub.publishAsync('auto/same/topic', String(n))
  assert.deepEqual((await received).map((m) => m.topic), ['auto/same/topic', 'auto/same/topic', 'auto/same/topic'])
})

for (const [what, alias] of [
  ['zero', 0],
  ['above the Topic Alias Maximum', 101],
] as const) {
  test(`a topic alias ${what} is answered with DISCONNECT 0x94 Topic Alias invalid [MQTT-3.3.2-8, MQTT-3.3.2-9]`, async (t) => {
    const hub = await startTestHub({ mqtt: { limits: { topicAliasMaximum: 100 } } })
    t.after(() => hub.close())
    const raw = await RawClient.open(t, hub, 5)
    await raw.connect()
    raw.send({ cmd: 'publish', topic: 'x', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: alias } })
    assert.equal(((await raw.next('disconnect')) as IDisconnectPacket).reasonCode, 0x94)
    await raw.waitClosed()
  })
}

test('an alias that was never set is a protocol error: DISCONNECT 0x82', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.send({ cmd: 'publish', topic: '', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 7 } })
  assert.equal(((await raw.next('disconnect')) as IDisconnectPacket).reasonCode, 0x82)
})
