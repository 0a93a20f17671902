import { repoFile } from '../helpers/paths.js'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import mqtt from 'mqtt'
import WebSocket from 'ws'
import { portOf, startTestHub } from '../helpers/hub.js'
import { collect, connectClient, nextEvent } from './support.js'

const fixtures = repoFile('test/broker/fixtures')
const tlsFiles = { cert: join(fixtures, 'localhost-cert.pem'), key: join(fixtures, 'localhost-key.pem') }

test("the WebSocket listener selects the 'mqtt' subprotocol (MQTT 5.0 §6)", async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const ws = new WebSocket(`ws://127.0.0.1:${portOf(hub, 'ws')}/mqtt`, ['mqtt'])
  t.after(() => ws.terminate())
  await nextEvent(ws, 'open')
  assert.equal(ws.protocol, 'mqtt')
})

test('the WebSocket listener serves only its configured path', async (t) => {
  const hub = await startTestHub({ mqtt: { ws: { path: '/custom' } } })
  t.after(() => hub.close())
  const wrong = new WebSocket(`ws://127.0.0.1:${portOf(hub, 'ws')}/mqtt`, ['mqtt'])
  t.after(() => wrong.terminate())
  await nextEvent(wrong, 'error')
  const client = await mqtt.connectAsync(`ws://127.0.0.1:${portOf(hub, 'ws')}/custom`, { reconnectPeriod: 0 })
  t.after(() => client.end(true))
  assert.equal(client.connected, true)
  assert.match(hub.listeners().find((l) => l.name === 'ws')?.url ?? '', /\/custom$/)
})

test('a TCP client and a WebSocket client exchange messages both ways', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const tcp = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 4 })
  const ws = await connectClient(t, hub, { transport: 'ws', protocolVersion: 5 })
  await tcp.subscribeAsync('from/ws')
  await ws.subscribeAsync('from/tcp')
  const atTcp = collect(tcp, 1)
  const atWs = collect(ws, 1)
  await ws.publishAsync('from/ws', 'hello tcp')
  await tcp.publishAsync('from/tcp', 'hello ws')
  assert.equal((await atTcp)[0]?.payload.toString(), 'hello tcp')
  assert.equal((await atWs)[0]?.payload.toString(), 'hello ws')
})

test('TLS (mqtts) and secure WebSocket (wss) listeners open when configured and carry MQTT', async (t) => {
  const hub = await startTestHub({ mqtt: { tls: { enabled: true, port: 0, ...tlsFiles }, wss: { enabled: true, port: 0, ...tlsFiles } } })
  t.after(() => hub.close())
  const names = hub.listeners().map((l) => l.name)
  assert.ok(names.includes('mqtts') && names.includes('wss'), names.join(','))
  const ca = readFileSync(tlsFiles.cert)
  const secure = await mqtt.connectAsync(`mqtts://localhost:${portOf(hub, 'mqtts')}`, { ca, reconnectPeriod: 0, protocolVersion: 5 })
  t.after(() => secure.end(true))
  const secureWs = await mqtt.connectAsync(`wss://localhost:${portOf(hub, 'wss')}/mqtt`, { ca, reconnectPeriod: 0 })
  t.after(() => secureWs.end(true))
  await secure.subscribeAsync('tls/#')
  const received = collect(secure, 1)
  await secureWs.publishAsync('tls/x', 'encrypted')
  assert.equal((await received)[0]?.payload.toString(), 'encrypted')
})

test('listeners bound to ::1 accept IPv6 clients on TCP and WebSocket', async (t) => {
  const hub = await startTestHub({ mqtt: { tcp: { host: '::1' }, ws: { host: '::1' } } })
  t.after(() => hub.close())
  assert.match(hub.listeners().find((l) => l.name === 'mqtt')?.url ?? '', /^mqtt:\/\/\[::1\]:\d+$/)
  const tcp = await mqtt.connectAsync(`mqtt://[::1]:${portOf(hub, 'mqtt')}`, { reconnectPeriod: 0 })
  t.after(() => tcp.end(true))
  // MQTT.js rebuilds WebSocket URLs from the host name, so the brackets go into it
  const ws = await mqtt.connectAsync({ protocol: 'ws', hostname: '[::1]', port: portOf(hub, 'ws'), path: '/mqtt', reconnectPeriod: 0, protocolVersion: 5 })
  t.after(() => ws.end(true))
  await tcp.subscribeAsync('v6/#')
  const received = collect(tcp, 1)
  await ws.publishAsync('v6/x', 'over ::1')
  assert.equal((await received)[0]?.payload.toString(), 'over ::1')
  assert.equal(hub.ctx.inspect.clients().every((c) => c.remoteAddress === '::1'), true)
})

test('over WebSocket a burst of packets leaves in one frame per event-loop turn and MQTT.js reads them all', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = new WebSocket(`ws://127.0.0.1:${portOf(hub, 'ws')}/mqtt`, ['mqtt'])
  t.after(() => raw.terminate())
  await nextEvent(raw, 'open')
  const frames: Buffer[] = []
  raw.on('message', (data: Buffer) => frames.push(data))
  // CONNECT (3.1.1, clean, keep alive 0, id 'f') and SUBSCRIBE to burst/# at QoS 0
  raw.send(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, 1, 0x66]))
  raw.send(Buffer.from([0x82, 12, 0, 1, 0, 7, ...Buffer.from('burst/#'), 0]))
  // CONNACK (4 bytes) and SUBACK (5 bytes), in one frame or two
  while (Buffer.concat(frames).length < 9) await nextEvent(raw, 'message')
  frames.length = 0
  for (let i = 0; i < 20; i++) hub.broker.dispatch({ ...baseMessage, id: String(i), payload: Buffer.from(String(i)) })
  await nextEvent(raw, 'message')
  assert.equal(frames.length, 1)
  const client = await connectClient(t, hub, { transport: 'ws', protocolVersion: 5 })
  await client.subscribeAsync('burst/#')
  const received = collect(client, 20)
  for (let i = 0; i < 20; i++) hub.broker.dispatch({ ...baseMessage, id: `b${i}`, payload: Buffer.from(String(i)) })
  assert.deepEqual((await received).map((m) => m.payload.toString()), [...Array(20).keys()].map(String))
})

const baseMessage = {
  topic: 'burst/x',
  qos: 0 as const,
  retain: false,
  properties: {},
  origin: { protocol: 'system' as const },
  receivedAt: Date.now(),
}
