import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt-packet'
import { encodePublish, withPacketId, type OutgoingPublish } from '../../../src/broker/publish-encoder.js'

const payload = Buffer.from('hello')

/**
 * The hub writes PUBLISH bytes itself on the fan-out path; each case must equal mqtt-packet's
 * generate() for the same packet (properties listed in the order the encoder writes them).
 */
const cases: Array<{ name: string; input: OutgoingPublish; reference: mqtt.IPublishPacket; version: 4 | 5 }> = [
  {
    name: '3.1.1 QoS 0',
    version: 4,
    input: { topic: 'a/b', payload, qos: 0, retain: false, dup: false },
    reference: { cmd: 'publish', topic: 'a/b', payload, qos: 0, retain: false, dup: false },
  },
  {
    name: '3.1.1 QoS 1 retained with packet id',
    version: 4,
    input: { topic: 'a/b', payload, qos: 1, retain: true, dup: false, messageId: 513 },
    reference: { cmd: 'publish', topic: 'a/b', payload, qos: 1, retain: true, dup: false, messageId: 513 },
  },
  {
    name: '3.1.1 QoS 2 DUP with a UTF-8 topic',
    version: 4,
    input: { topic: 'température/€', payload, qos: 2, retain: false, dup: true, messageId: 65535 },
    reference: { cmd: 'publish', topic: 'température/€', payload, qos: 2, retain: false, dup: true, messageId: 65535 },
  },
  {
    name: '3.1.1 payload needing a 2-byte remaining length',
    version: 4,
    input: { topic: 't', payload: Buffer.alloc(300, 7), qos: 0, retain: false, dup: false },
    reference: { cmd: 'publish', topic: 't', payload: Buffer.alloc(300, 7), qos: 0, retain: false, dup: false },
  },
  {
    name: '3.1.1 payload needing a 3-byte remaining length',
    version: 4,
    input: { topic: 't', payload: Buffer.alloc(20_000, 7), qos: 1, retain: false, dup: false, messageId: 9 },
    reference: { cmd: 'publish', topic: 't', payload: Buffer.alloc(20_000, 7), qos: 1, retain: false, dup: false, messageId: 9 },
  },
  {
    name: '5.0 without properties',
    version: 5,
    input: { topic: 'a', payload, qos: 0, retain: false, dup: false, v5: { properties: {} } },
    reference: { cmd: 'publish', topic: 'a', payload, qos: 0, retain: false, dup: false },
  },
  {
    name: '5.0 with every message property, alias and subscription ids',
    version: 5,
    input: {
      topic: 'req/1',
      payload,
      qos: 1,
      retain: false,
      dup: false,
      messageId: 7,
      v5: {
        properties: {
          payloadFormatIndicator: true,
          responseTopic: 'resp/1',
          correlationData: Buffer.from([1, 2, 3]),
          userProperties: { a: '1', list: ['x', 'y'] },
          contentType: 'application/json',
        },
        messageExpiryInterval: 60,
        topicAlias: 3,
        subscriptionIds: [1, 300],
      },
    },
    reference: {
      cmd: 'publish',
      topic: 'req/1',
      payload,
      qos: 1,
      retain: false,
      dup: false,
      messageId: 7,
      properties: {
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
        topicAlias: 3,
        responseTopic: 'resp/1',
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { a: '1', list: ['x', 'y'] },
        subscriptionIdentifier: [1, 300],
        contentType: 'application/json',
      },
    },
  },
  {
    name: '5.0 empty topic with a topic alias',
    version: 5,
    input: { topic: '', payload, qos: 0, retain: true, dup: false, v5: { properties: {}, topicAlias: 1 } },
    reference: { cmd: 'publish', topic: '', payload, qos: 0, retain: true, dup: false, properties: { topicAlias: 1 } },
  },
]

for (const c of cases) {
  test(`encodePublish writes the same bytes as mqtt-packet: ${c.name}`, () => {
    const encoded = encodePublish(c.input)
    assert.deepEqual(encoded.bytes, mqtt.generate(c.reference, { protocolVersion: c.version }))
  })
}

test('withPacketId patches the packet identifier and DUP into a copy and leaves the shared bytes alone', () => {
  const shared = encodePublish({ topic: 'x/y', payload, qos: 1, retain: false, dup: false })
  const before = Buffer.from(shared.bytes)
  const copy = withPacketId(shared, 4242, true)
  assert.deepEqual(copy, mqtt.generate({ cmd: 'publish', topic: 'x/y', payload, qos: 1, retain: false, dup: true, messageId: 4242 }))
  assert.deepEqual(shared.bytes, before)
})
