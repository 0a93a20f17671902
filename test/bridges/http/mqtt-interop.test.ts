import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import type { Hub } from '../../../src/index.js'
import { portOf } from '../../helpers/hub.js'
import { errorOf, openSse, postJson, startHttpHub, waitFor } from './http-helpers.js'

interface Received {
  topic: string
  payload: Buffer
  packet: IPublishPacket
}

/** An MQTT.js 5.0 client on the hub's TCP listener, ended after the test; it records every message. */
async function connectMqtt(t: TestContext, hub: Hub, clientId?: string): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { protocolVersion: 5, reconnectPeriod: 0, ...(clientId === undefined ? {} : { clientId }) })
  t.after(() => client.endAsync(true))
  const received: Received[] = []
  client.on('message', (topic, payload, packet) => void received.push({ topic, payload, packet }))
  return { client, received }
}

test('a JSON POST arrives at an MQTT subscriber with its payload, QoS, retain flag and MQTT 5 properties', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const { client, received } = await connectMqtt(t, hub)
  // Retain As Published, so the live message keeps its retain flag [MQTT-3.3.1-12]
  await client.subscribeAsync('home/#', { qos: 2, rap: true })
  const response = await postJson(`${base}/api/v1/publish`, {
    topic: 'home/living/temp',
    payload: { celsius: 21.5 },
    qos: 1,
    retain: true,
    properties: { userProperties: { unit: 'C' }, responseTopic: 'home/replies', correlationData: Buffer.from('c-1').toString('base64') },
  })
  assert.equal(response.status, 200)
  assert.equal(((await response.json()) as { matched: number }).matched, 1)
  await waitFor(() => received.length === 1, 'the MQTT subscriber to receive the message')
  const [message] = received
  assert.equal(message?.topic, 'home/living/temp')
  assert.equal(message?.payload.toString(), '{"celsius":21.5}')
  assert.equal(message?.packet.qos, 1)
  assert.equal(message?.packet.retain, true)
  assert.equal(message?.packet.properties?.contentType, 'application/json')
  assert.deepEqual({ ...message?.packet.properties?.userProperties }, { unit: 'C' })
  assert.equal(message?.packet.properties?.responseTopic, 'home/replies')
  assert.equal(Buffer.from(message?.packet.properties?.correlationData ?? []).toString(), 'c-1')
})

test('a raw POST arrives at an MQTT subscriber with the body as payload and Content-Type as the content type', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const { client, received } = await connectMqtt(t, hub)
  await client.subscribeAsync('raw/+', { qos: 2 })
  const body = Buffer.from([0x00, 0x10, 0xff])
  const response = await fetch(`${base}/api/v1/topics/raw/bytes?qos=2`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body })
  assert.equal(response.status, 200)
  await waitFor(() => received.length === 1, 'the MQTT subscriber to receive the raw message')
  assert.equal(received[0]?.topic, 'raw/bytes')
  assert.deepEqual(received[0]?.payload, body)
  assert.equal(received[0]?.packet.qos, 2)
  assert.equal(received[0]?.packet.retain, false)
  assert.equal(received[0]?.packet.properties?.contentType, 'application/octet-stream')
})

test('a message retained over HTTP reaches a later MQTT subscriber with the retain flag, and one retained over MQTT is read over HTTP', async (t) => {
  const { hub, base } = await startHttpHub(t)
  await fetch(`${base}/api/v1/topics/state/lamp?retain=true&qos=1`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'on' })
  const { client, received } = await connectMqtt(t, hub)
  await client.subscribeAsync('state/lamp', { qos: 1 })
  await waitFor(() => received.length === 1, 'the retained message')
  assert.equal(received[0]?.payload.toString(), 'on')
  assert.equal(received[0]?.packet.retain, true)
  assert.equal(received[0]?.packet.properties?.contentType, 'text/plain')

  await client.publishAsync('state/fan', 'spinning', { qos: 1, retain: true, properties: { contentType: 'text/x-fan' } })
  const read = await fetch(`${base}/api/v1/topics/state/fan`)
  assert.equal(read.status, 200)
  assert.equal(read.headers.get('content-type'), 'text/x-fan')
  assert.equal(await read.text(), 'spinning')
  assert.equal((await fetch(`${base}/api/v1/topics/state/fan`, { method: 'DELETE' })).status, 204)
  assert.equal((await fetch(`${base}/api/v1/topics/state/fan`)).status, 404)
})

test('an SSE stream receives messages published over MQTT to a wildcard filter', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const stream = await openSse(t, `${base}/api/v1/stream?filter=${encodeURIComponent('plant/+/#')}`)
  await stream.next()
  const { client } = await connectMqtt(t, hub, 'plc-7')
  await client.publishAsync('plant/line1/motor/rpm', '1450', { qos: 1, properties: { contentType: 'text/plain', userProperties: { site: 'north' } } })
  await client.publishAsync('other/topic', 'ignored', { qos: 1 })
  await client.publishAsync('plant/line2', Buffer.from([0xff, 0xfe]), { qos: 0 })
  const first = JSON.parse((await stream.nextEvent()).data) as Record<string, unknown>
  assert.equal(first.topic, 'plant/line1/motor/rpm')
  assert.equal(first.payload, '1450')
  assert.equal(first.qos, 1)
  assert.deepEqual(first.properties, { contentType: 'text/plain', userProperties: { site: 'north' } })
  const second = JSON.parse((await stream.nextEvent()).data) as Record<string, unknown>
  assert.equal(second.topic, 'plant/line2')
  assert.equal(second.encoding, 'base64')
  assert.equal(second.payload, '//4=')
})

test('bulk publishes reach an MQTT subscriber in order, without the bad item', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const { client, received } = await connectMqtt(t, hub)
  await client.subscribeAsync('bulk/#', { qos: 1 })
  const response = await postJson(`${base}/api/v1/publish/bulk`, [
    { topic: 'bulk/a', payload: '1', qos: 1 },
    { topic: 'bulk/#', payload: 'bad' },
    { topic: 'bulk/b', payload: '2', qos: 1 },
  ])
  assert.equal(response.status, 200)
  await waitFor(() => received.length === 2, 'two bulk messages')
  assert.deepEqual(received.map((m) => [m.topic, m.payload.toString()]), [
    ['bulk/a', '1'],
    ['bulk/b', '2'],
  ])
})

test('bad HTTP input publishes nothing to an MQTT subscriber on #', async (t) => {
  const { hub, base } = await startHttpHub(t, { http: { maxPayloadBytes: 64 } })
  const { client, received } = await connectMqtt(t, hub)
  await client.subscribeAsync('#', { qos: 1 })
  const bad = [
    await postJson(`${base}/api/v1/publish`, '{not json'),
    await postJson(`${base}/api/v1/publish`, { payload: 'no topic' }),
    await postJson(`${base}/api/v1/publish`, { topic: 'x/#', payload: 'wildcard' }),
    await postJson(`${base}/api/v1/publish`, { topic: 'x', payload: 'q', qos: 3 }),
    await postJson(`${base}/api/v1/publish`, { topic: 'x', payload: 'y'.repeat(65) }),
    await postJson(`${base}/api/v1/publish`, { topic: 'x', payload: '%%%', encoding: 'base64' }),
    await fetch(`${base}/api/v1/topics/x`, { method: 'POST', body: Buffer.alloc(65) }),
    await fetch(`${base}/api/v1/no/such/route`, { method: 'POST', body: 'x' }),
  ]
  assert.deepEqual(bad.map((r) => r.status), [400, 400, 400, 400, 413, 400, 413, 404])
  for (const response of bad) assert.match((await errorOf(response)).code, /^HUB_ERR_/)
  await postJson(`${base}/api/v1/publish`, { topic: 'sentinel', payload: 'end', qos: 1 })
  await waitFor(() => received.length > 0, 'the sentinel message')
  assert.deepEqual(received.map((m) => m.topic), ['sentinel'])
})

test('inspection shows an MQTT client and its subscriptions, and DELETE /api/v1/clients/{id} disconnects it', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const { client } = await connectMqtt(t, hub, 'inspect-me')
  await client.subscribeAsync('watch/+', { qos: 1 })
  const clients = (await (await fetch(`${base}/api/v1/clients`)).json()) as { clients: Array<{ clientId: string; protocolVersion: number }> }
  assert.equal(clients.clients.find((c) => c.clientId === 'inspect-me')?.protocolVersion, 5)
  const subscriptions = (await (await fetch(`${base}/api/v1/subscriptions?clientId=inspect-me`)).json()) as { subscriptions: Array<{ filter: string; qos: number }> }
  assert.deepEqual(subscriptions.subscriptions.map((s) => [s.filter, s.qos]), [['watch/+', 1]])

  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
  assert.equal((await fetch(`${base}/api/v1/clients/inspect-me`, { method: 'DELETE' })).status, 204)
  await closed
  await waitFor(async () => {
    const after = (await (await fetch(`${base}/api/v1/clients`)).json()) as { clients: Array<{ clientId: string }> }
    return !after.clients.some((c) => c.clientId === 'inspect-me')
  }, 'the client to leave the list')
})
