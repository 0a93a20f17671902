import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import { portOf, startTestHub } from '../../helpers/hub.js'
import { coapAddresses, coapClient, observe } from './helpers.js'

async function connect(t: TestContext, port: number): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 })
  t.after(() => client.endAsync())
  return client
}

function nextMessage(client: MqttClient): Promise<IPublishPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no MQTT message')), 10_000)
    client.once('message', (_topic, _payload, packet) => {
      clearTimeout(timer)
      resolve(packet)
    })
  })
}

test('a CoAP PUT reaches an MQTT.js subscriber with its payload, QoS and content type', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = await connect(t, portOf(hub, 'mqtt'))
  await sub.subscribeAsync('coap/to/mqtt', { qos: 2 })
  const arrived = nextMessage(sub)
  const { v6 } = coapAddresses(hub)
  assert.ok(v6)
  const send = coapClient(t, 'udp6')
  const res = await send({ hostname: v6.host, port: v6.port, method: 'PUT', pathname: '/ps/coap/to/mqtt', query: 'qos=2', contentFormat: 'application/senml+json' }, '[{"v":1}]')
  assert.equal(res.code, '2.04')
  const packet = await arrived
  assert.equal(packet.topic, 'coap/to/mqtt')
  assert.equal(packet.payload.toString(), '[{"v":1}]')
  assert.equal(packet.qos, 2)
  assert.equal(packet.properties?.contentType, 'application/senml+json')
})

test('an MQTT.js publish reaches a CoAP observer with its Content-Format and Max-Age', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const stream = await observe(t, { hostname: v4.host, port: v4.port, pathname: '/ps/mqtt/%23' })
  const notified = new Promise<{ payload: string; format: unknown; maxAge: unknown }>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (chunk.length > 0) resolve({ payload: chunk.toString(), format: stream.headers['Content-Format'], maxAge: stream.headers['Max-Age'] })
    })
  })
  const pub = await connect(t, portOf(hub, 'mqtt'))
  await pub.publishAsync('mqtt/to/coap', '{"x":1}', { qos: 1, properties: { contentType: 'application/json', messageExpiryInterval: 300 } })
  const got = await notified
  assert.equal(got.payload, '{"x":1}')
  assert.equal(got.format, 'application/json')
  assert.ok(typeof got.maxAge === 'number' && got.maxAge > 290 && got.maxAge <= 300, `Max-Age ${String(got.maxAge)}`)
})
