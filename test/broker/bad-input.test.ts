import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import type { IDisconnectPacket } from 'mqtt-packet'
import type { Hub } from '../../src/index.js'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, RawClient } from './support.js'

/**
 * Bad input closes only the offending connection (DESIGN.md §4): after each case a live MQTT.js
 * publisher and subscriber still exchange a message, and the hub (this process) is still up.
 */
async function startWithBystanders(t: TestContext): Promise<{ hub: Hub; check: () => Promise<void> }> {
  const hub = await startTestHub({ mqtt: { limits: { maxPacketSize: 1024, connectTimeout: 1 } } })
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const sub = await connectClient(t, hub, variant)
  const pub = await connectClient(t, hub, variant)
  await sub.subscribeAsync('alive/#', { qos: 1 })
  let n = 0
  const check = async (): Promise<void> => {
    const got = collect(sub, 1)
    await pub.publishAsync(`alive/${++n}`, 'still here', { qos: 1 })
    assert.equal((await got)[0]?.topic, `alive/${n}`)
    assert.equal(sub.connected && pub.connected, true)
  }
  await check()
  return { hub, check }
}

/** Expect a 5.0 DISCONNECT with `reasonCode`, then the close. */
async function expectDisconnect(raw: RawClient, reasonCode: number): Promise<void> {
  const disconnect = (await raw.next('disconnect')) as IDisconnectPacket
  assert.equal(disconnect.reasonCode, reasonCode)
  await raw.waitClosed()
}

/** A 5.0 PUBLISH (QoS 0, no properties) with a raw topic. */
function publishBytes(topic: Buffer, payload = Buffer.from('x')): Buffer {
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.from([0]), payload])
  const length = body.length < 128 ? [body.length] : [(body.length % 128) | 0x80, Math.floor(body.length / 128)]
  return Buffer.concat([Buffer.from([0x30, ...length]), body])
}

test('random bytes close only that connection', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  for (let i = 0; i < 10; i++) {
    const raw = await RawClient.open(t, hub)
    raw.sendBytes(randomBytes(512))
    await raw.waitClosed() // closed for the garbage, or by the connect timeout if it looked like a long header
  }
  for (let i = 0; i < 5; i++) {
    // Random bytes after a good CONNECT
    const raw = await RawClient.open(t, hub, 5)
    await raw.connect({ keepalive: 2 })
    raw.sendBytes(Buffer.concat([Buffer.from([0x00]), randomBytes(300)]))
    await raw.waitClosed()
  }
  await check()
  assert.ok(hub.ctx.stats.protocolErrors >= 5)
})

test('a remaining length shorter than the content is a malformed packet: DISCONNECT 0x81 [MQTT-1.5.4-1, MQTT-2.1.4]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  // PUBLISH claiming 3 bytes: a topic length of 5 that does not fit
  raw.sendBytes([0x30, 0x03, 0x00, 0x05, 0x61])
  await expectDisconnect(raw, 0x81)
  await check()
})

test('a remaining length longer than four bytes is malformed [MQTT-1.5.5]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.sendBytes([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])
  await expectDisconnect(raw, 0x81)
  await check()
})

test('invalid UTF-8 in a PUBLISH topic is a malformed packet: DISCONNECT 0x81 [MQTT-1.5.4-1]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.sendBytes(publishBytes(Buffer.from([0x61, 0xff, 0xfe, 0x62])))
  await expectDisconnect(raw, 0x81)
  // 3.1.1: closed
  const old = await RawClient.open(t, hub, 4)
  await old.connect()
  const topic = Buffer.from([0xc3, 0x28]) // a lead byte without its continuation
  old.sendBytes(Buffer.concat([Buffer.from([0x30, topic.length + 3, 0, topic.length]), topic, Buffer.from('x')]))
  await old.waitClosed()
  await check()
})

test('a wildcard in a PUBLISH topic: DISCONNECT 0x90 Topic Name invalid [MQTT-3.3.2-2]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  for (const topic of ['a/+/b', 'a/#']) {
    const raw = await RawClient.open(t, hub, 5)
    await raw.connect()
    raw.sendBytes(publishBytes(Buffer.from(topic)))
    await expectDisconnect(raw, 0x90)
  }
  const old = await RawClient.open(t, hub, 4)
  await old.connect()
  old.send({ cmd: 'publish', topic: 'x/#', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
  await old.waitClosed()
  await check()
})

test('a packet above the maximum packet size: DISCONNECT 0x95, refused from its header alone [MQTT-3.1.2-24]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.sendBytes(publishBytes(Buffer.from('big'), Buffer.alloc(1100)))
  await expectDisconnect(raw, 0x95)
  // Only a fixed header announcing 200 MB: refused without waiting for (or buffering) the body
  const header = await RawClient.open(t, hub, 5)
  await header.connect()
  header.sendBytes([0x30, 0x80, 0x80, 0x80, 0x60])
  await expectDisconnect(header, 0x95)
  await check()
  assert.ok(hub.ctx.stats.limitBreaches >= 2)
})

test('a second CONNECT is a protocol error: DISCONNECT 0x82 [MQTT-3.1.0-2]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect()
  raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'again', clean: true, keepalive: 0 })
  await expectDisconnect(raw, 0x82)
  const old = await RawClient.open(t, hub, 4)
  await old.connect()
  old.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'again', clean: true, keepalive: 0 })
  await old.waitClosed()
  await check()
})

test('a packet before CONNECT closes the connection without CONNACK [MQTT-3.1.0-1]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 4)
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'alive/#', qos: 0 }] })
  await raw.waitClosed()
  assert.equal(raw.packets.length, 0)
  const ping = await RawClient.open(t, hub, 4)
  ping.send({ cmd: 'pingreq' })
  await ping.waitClosed()
  await check()
})

test('a half-open socket that never sends CONNECT is closed after limits.connectTimeout', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 4)
  await raw.waitClosed(5000)
  // Part of a CONNECT, then silence
  const partial = await RawClient.open(t, hub, 4)
  partial.sendBytes([0x10, 20, 0, 4])
  await partial.waitClosed(5000)
  await check()
})

test('a client silent for 1.5 x its keep alive is closed: DISCONNECT 0x8D [MQTT-3.1.2-22]', async (t) => {
  const { hub, check } = await startWithBystanders(t)
  const raw = await RawClient.open(t, hub, 5)
  await raw.connect({ keepalive: 1 })
  await expectDisconnect(raw, 0x8d)
  const old = await RawClient.open(t, hub, 4)
  await old.connect({ keepalive: 1 })
  await old.waitClosed(5000)
  await check()
})
