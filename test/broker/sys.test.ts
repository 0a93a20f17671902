import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient } from './support.js'

test('$SYS/broker statistics are published retained every sysInterval seconds with origin system', async (t) => {
  const hub = await startTestHub({ mqtt: { sysInterval: 1 } })
  t.after(() => hub.close())
  const client = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 })
  await client.publishAsync('count/me', 'x')
  const origins = new Set<string>()
  hub.ctx.subscribe('$SYS/broker/clients/connected', (m) => {
    origins.add(m.origin.protocol)
  })
  // Subscribing gets the retained values at once; waiting 2 intervals shows they are refreshed
  const received = collect(client, 30, 5000)
  await client.subscribeAsync('$SYS/broker/#')
  const messages = await received
  const topics = new Set(messages.map((m) => m.topic))
  for (const topic of [
    '$SYS/broker/version',
    '$SYS/broker/uptime',
    '$SYS/broker/clients/connected',
    '$SYS/broker/clients/total',
    '$SYS/broker/messages/received',
    '$SYS/broker/messages/sent',
    '$SYS/broker/messages/dropped',
    '$SYS/broker/bytes/received',
    '$SYS/broker/bytes/sent',
    '$SYS/broker/subscriptions/count',
    '$SYS/broker/retained messages/count',
  ]) {
    assert.ok(topics.has(topic), `missing ${topic}`)
  }
  const connected = messages.findLast((m) => m.topic === '$SYS/broker/clients/connected')
  assert.equal(connected?.payload.toString(), '1')
  assert.ok(messages.some((m) => m.packet.retain), 'the first ones come retained')
  assert.deepEqual([...origins], ['system'])
})

test('clients cannot publish to $SYS/ (default hooks)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const client = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 })
  // PUBACK 0x87 Not authorized, which MQTT.js reports as an error
  await assert.rejects(client.publishAsync('$SYS/broker/fake', 'x', { qos: 1 }), /Not authorized/)
})
