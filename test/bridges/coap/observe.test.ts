import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ObserveReadStream } from 'coap'
import { startTestHub } from '../../helpers/hub.js'
import { coapAddresses, observe, optionOf, rawSocket, uintOf, uriPath } from './helpers.js'

/** Collect the payloads an observe stream yields until `count` arrived. */
function nextPayloads(stream: ObserveReadStream, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = []
    const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${count} notifications: ${out.join(',')}`)), 10_000)
    const onData = (chunk: Buffer): void => {
      out.push(chunk.toString())
      if (out.length === count) {
        clearTimeout(timer)
        stream.off('data', onData)
        resolve(out)
      }
    }
    stream.on('data', onData)
  })
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

test('observing a topic with a retained message starts with it, then notifies every new message', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  await hub.ctx.publish({ topic: 'lamp/state', payload: Buffer.from('off'), retain: true, properties: { contentType: 'text/plain' } }, { protocol: 'system' })
  const { v4 } = coapAddresses(hub)
  const stream = await observe(t, { hostname: v4.host, port: v4.port, pathname: '/ps/lamp/state' })
  assert.equal(stream.code, '2.05')
  assert.equal(stream.headers['Content-Format'], 'text/plain')
  const first = nextPayloads(stream, 3)
  for (const p of ['on', 'off']) await hub.ctx.publish({ topic: 'lamp/state', payload: Buffer.from(p), qos: 1 }, { protocol: 'mqtt', clientId: 'x' })
  assert.deepEqual(await first, ['off', 'on', 'off'])
})

test('observing a topic that has no retained message answers 2.05 with an empty payload and still notifies', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const stream = await observe(t, { hostname: v4.host, port: v4.port, pathname: '/ps/fresh/topic' })
  assert.equal(stream.code, '2.05')
  assert.equal(stream.payload.length, 0)
  const got = nextPayloads(stream, 2)
  await hub.ctx.publish({ topic: 'fresh/topic', payload: Buffer.from('1') }, { protocol: 'system' })
  const payloads = await got
  assert.deepEqual(payloads.slice(1), ['1'])
})

test('a wildcard observer over IPv6 gets every matching message in order, then nothing after deregistering', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v6 } = coapAddresses(hub)
  assert.ok(v6)
  const stream = await observe(t, { hostname: v6.host, port: v6.port, pathname: '/ps/room/%2B/temp' }, 'udp6')
  assert.equal(stream.code, '2.05')
  const got = nextPayloads(stream, 21)
  for (let i = 0; i < 20; i++) {
    const result = await hub.ctx.publish({ topic: `room/${i % 3}/temp`, payload: Buffer.from(String(i)), qos: i % 2 === 0 ? 0 : 1 }, { protocol: 'system' })
    assert.equal(result.matched, 1)
  }
  const payloads = await got
  assert.deepEqual(payloads.slice(1), Array.from({ length: 20 }, (_, i) => String(i)))
  stream.close(true) // eager deregistration: GET with Observe=1
  await until(async () => (await hub.ctx.publish({ topic: 'room/1/temp', payload: Buffer.from('late') }, { protocol: 'system' })).matched === 0, 'the kernel subscription is gone')
})

test('notifications are CON for QoS 1 messages and NON for QoS 0 messages, with increasing sequence numbers and the topic in Location-Path', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  const token = Buffer.from('0b5e')
  raw.sendPacket({ code: 'GET', confirmable: true, messageId: 100, token, options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/k/#')] }, v4.port)
  const registered = await raw.next()
  assert.equal(registered.code, '2.05')
  assert.equal(registered.ack, true)
  const seq0 = uintOf(optionOf(registered, 'Observe'))
  assert.ok(seq0 !== undefined)
  await hub.ctx.publish({ topic: 'k/a', payload: Buffer.from('q1'), qos: 1 }, { protocol: 'system' })
  const con = await raw.next()
  assert.equal(con.confirmable, true)
  assert.deepEqual(con.token, token)
  assert.equal(con.payload.toString(), 'q1')
  assert.deepEqual(con.options.filter((o) => o.name === 'Location-Path').map((o) => o.value.toString()), ['k', 'a'])
  raw.sendPacket({ code: '0.00', ack: true, messageId: con.messageId }, v4.port)
  await hub.ctx.publish({ topic: 'k/b', payload: Buffer.from('q0'), qos: 0 }, { protocol: 'system' })
  const non = await raw.next()
  assert.equal(non.confirmable, false)
  assert.equal(non.ack, false)
  assert.equal(non.payload.toString(), 'q0')
  const s1 = uintOf(optionOf(con, 'Observe')) as number
  const s2 = uintOf(optionOf(non, 'Observe')) as number
  assert.ok(s1 > (seq0 as number) && s2 > s1, `sequence ${seq0} < ${s1} < ${s2}`)
})

test('a Reset to a notification ends the observation and its kernel subscription', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'GET', confirmable: true, messageId: 7, token: Buffer.from('aa'), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/rst')] }, v4.port)
  await raw.next()
  await hub.ctx.publish({ topic: 'rst', payload: Buffer.from('x'), qos: 0 }, { protocol: 'system' })
  const non = await raw.next()
  raw.sendPacket({ code: '0.00', reset: true, messageId: non.messageId }, v4.port)
  await until(async () => (await hub.ctx.publish({ topic: 'rst', payload: Buffer.from('y') }, { protocol: 'system' })).matched === 0, 'the observation ended')
})

test('a CON notification that is never acknowledged ends the observation after its retransmissions', async (t) => {
  const hub = await startTestHub({ coap: { transmission: { ackTimeout: 0.05, maxRetransmit: 2 } } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'GET', confirmable: true, messageId: 8, token: Buffer.from('bb'), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/silent')] }, v4.port)
  await raw.next()
  await hub.ctx.publish({ topic: 'silent', payload: Buffer.from('x'), qos: 1 }, { protocol: 'system' })
  const first = await raw.next()
  const retransmitted = await raw.next()
  assert.equal(retransmitted.messageId, first.messageId, 'the same CON is retransmitted')
  await until(async () => (await hub.ctx.publish({ topic: 'silent', payload: Buffer.from('y') }, { protocol: 'system' })).matched === 0, 'the observation ended')
})

test('observers beyond the per-peer limit get a plain 2.05 without Observe', async (t) => {
  const hub = await startTestHub({ coap: { limits: { maxObserversPerPeer: 1 } } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  for (const [i, token] of ['01', '02'].entries()) {
    raw.sendPacket({ code: 'GET', confirmable: true, messageId: 20 + i, token: Buffer.from(token, 'hex'), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/lim')] }, v4.port)
  }
  const a = await raw.next()
  const b = await raw.next()
  const withObserve = [a, b].filter((p) => optionOf(p, 'Observe') !== undefined)
  assert.equal(withObserve.length, 1)
  assert.equal(hub.ctx.stats.limitBreaches, 1)
})

test('a NON-only observer gets a CON notification once the CON interval has passed (RFC 7641 §4.5)', async (t) => {
  const hub = await startTestHub({ coap: { observeConInterval: 0.001 } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'GET', confirmable: false, messageId: 5, token: Buffer.from('cc'), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/keepalive')] }, v4.port)
  await raw.next()
  await new Promise((r) => setTimeout(r, 10))
  await hub.ctx.publish({ topic: 'keepalive', payload: Buffer.from('q0'), qos: 0 }, { protocol: 'system' })
  const notification = await raw.next()
  assert.equal(notification.confirmable, true, 'a QoS 0 message still goes out CON when the interval is over')
  raw.sendPacket({ code: '0.00', ack: true, messageId: notification.messageId }, v4.port)
})

test('a notification too large to encode is dropped and counted, and the publish that triggered it still succeeds', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'GET', confirmable: true, messageId: 9, token: Buffer.from('dd'), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/long/#')] }, v4.port)
  await raw.next()
  const dropped: string[] = []
  hub.ctx.events.on('message_dropped', (event) => dropped.push(event.reason))
  // A wildcard notification names its topic in Location-Path: 2,000 bytes of it do not fit a datagram
  const result = await hub.ctx.publish({ topic: `long/${'x'.repeat(2000)}`, payload: Buffer.from('p') }, { protocol: 'system' })
  assert.equal(result.matched, 1)
  assert.equal(hub.ctx.stats.messagesDropped, 1)
  assert.deepEqual(dropped, ['coap notification could not be encoded'])
  await hub.ctx.publish({ topic: 'long/short', payload: Buffer.from('fits') }, { protocol: 'system' })
  assert.equal((await raw.next()).payload.toString(), 'fits')
})

test('when the hub shuts down, every observer is told with a 5.03 that carries no Observe option', async (t) => {
  const hub = await startTestHub()
  let closed = false
  t.after(() => (closed ? undefined : hub.close()))
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'GET', confirmable: true, messageId: 31, token: Buffer.from('ee'), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/bye')] }, v4.port)
  await raw.next()
  await hub.close()
  closed = true
  const farewell = await raw.next()
  assert.equal(farewell.code, '5.03')
  assert.deepEqual(farewell.token, Buffer.from('ee'))
  assert.equal(optionOf(farewell, 'Observe'), undefined)
})

test('observers beyond the total limit fall back to a plain GET, whichever peer asks', async (t) => {
  const hub = await startTestHub({ coap: { limits: { maxObservers: 1 } } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const first = await rawSocket(t)
  const second = await rawSocket(t)
  const register = (raw: typeof first, id: number) => raw.sendPacket({ code: 'GET', confirmable: true, messageId: id, token: Buffer.of(id), options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...uriPath('ps/total')] }, v4.port)
  register(first, 1)
  assert.notEqual(optionOf(await first.next(), 'Observe'), undefined)
  register(second, 2)
  assert.equal(optionOf(await second.next(), 'Observe'), undefined)
})
