import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Message } from '../../../src/message.js'
import { startTestHub } from '../../helpers/hub.js'
import { coapAddresses, coapClient } from './helpers.js'

function collect(hub: Awaited<ReturnType<typeof startTestHub>>, filter: string): { messages: Message[]; next: () => Promise<Message> } {
  const messages: Message[] = []
  let wake: (() => void) | undefined
  hub.ctx.subscribe(filter, (m) => {
    messages.push(m)
    wake?.()
  })
  let read = 0
  return {
    messages,
    async next() {
      const deadline = Date.now() + 10_000
      while (messages.length <= read) {
        if (Date.now() > deadline) throw new Error(`no message on ${filter}`)
        await new Promise<void>((resolve) => {
          wake = resolve
          setTimeout(resolve, 200)
        })
      }
      return messages[read++] as Message
    },
  }
}

test('the bridge listens on 127.0.0.1 and ::1, each socket on its own port when configured with port 0', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const listeners = hub.listeners().filter((l) => l.name.startsWith('coap'))
  assert.deepEqual(listeners.map((l) => l.name).sort(), ['coap', 'coap6'])
  const v6 = listeners.find((l) => l.name === 'coap6')
  assert.equal(v6?.host, '::1')
  assert.match(v6?.url ?? '', /^coap:\/\/\[::1\]:\d+$/)
  assert.ok(listeners.every((l) => l.port > 0))
})

test('a CON PUT publishes at QoS 1 with its content type and answers 2.04', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = collect(hub, 'devices/#')
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const res = await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/devices/d1/temp', contentFormat: 'application/json' }, '{"t":21.5}')
  assert.equal(res.code, '2.04')
  const message = await sub.next()
  assert.equal(message.topic, 'devices/d1/temp')
  assert.equal(message.payload.toString(), '{"t":21.5}')
  assert.equal(message.qos, 1)
  assert.equal(message.retain, false)
  assert.equal(message.properties.contentType, 'application/json')
  assert.deepEqual(message.origin, { protocol: 'coap', username: undefined })
  assert.equal(hub.ctx.stats.requests.coap, 1)
})

test('a NON POST publishes at QoS 0, and the qos and retain query parameters override the defaults', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = collect(hub, 'q/#')
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  await send({ hostname: v4.host, port: v4.port, method: 'POST', confirmable: false, pathname: '/ps/q/non' }, 'a')
  assert.equal((await sub.next()).qos, 0)
  const res = await send({ hostname: v4.host, port: v4.port, method: 'POST', pathname: '/ps/q/two', query: 'qos=2&retain=true' }, 'b')
  assert.equal(res.code, '2.04')
  const message = await sub.next()
  assert.equal(message.qos, 2)
  assert.equal(message.retain, true)
})

test('requests over IPv6 publish and read like IPv4 ones', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v6 } = coapAddresses(hub)
  assert.ok(v6, 'an IPv6 listener')
  const send = coapClient(t, 'udp6')
  const put = await send({ hostname: v6.host, port: v6.port, method: 'PUT', pathname: '/ps/six/state', query: 'retain=true', contentFormat: 'text/plain' }, 'on')
  assert.equal(put.code, '2.04')
  const get = await send({ hostname: v6.host, port: v6.port, method: 'GET', pathname: '/ps/six/state' })
  assert.equal(get.code, '2.05')
  assert.equal(get.payload.toString(), 'on')
  assert.equal(get.headers['Content-Format'], 'text/plain')
})

test('GET returns the retained message with its Content-Format and Max-Age, DELETE clears it, then GET is 4.04', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  await hub.ctx.publish({ topic: 'r/1', payload: Buffer.from([1, 2, 3]), retain: true, properties: { contentType: 'application/cbor', messageExpiryInterval: 600 } }, { protocol: 'system' })
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const get = await send({ hostname: v4.host, port: v4.port, pathname: '/ps/r/1' })
  assert.equal(get.code, '2.05')
  assert.deepEqual([...get.payload], [1, 2, 3])
  assert.equal(get.headers['Content-Format'], 'application/cbor')
  const maxAge = get.headers['Max-Age'] as number
  assert.ok(maxAge > 590 && maxAge <= 600, `Max-Age ${maxAge}`)
  const del = await send({ hostname: v4.host, port: v4.port, method: 'DELETE', pathname: '/ps/r/1' })
  assert.equal(del.code, '2.02')
  assert.equal(await hub.ctx.retained.get('r/1'), undefined)
  const again = await send({ hostname: v4.host, port: v4.port, pathname: '/ps/r/1' })
  assert.equal(again.code, '4.04')
})

test('Max-Age on a publish becomes the message expiry interval', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = collect(hub, 'exp')
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/exp', options: { 'Max-Age': 30 } }, 'x')
  assert.equal((await sub.next()).properties.messageExpiryInterval, 30)
})

test('percent-encoded topic levels are decoded', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const sub = collect(hub, 'sp/#')
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/sp/a%20b' }, 'x')
  assert.equal((await sub.next()).topic, 'sp/a b')
})

test('bad requests get 4.00 and the bridge keeps serving: wildcard in a publish path, bad qos, bad retain, no topic', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const cases = [
    { method: 'PUT' as const, pathname: '/ps/a/%2B', query: '' },
    { method: 'PUT' as const, pathname: '/ps/a/#', query: '' },
    { method: 'PUT' as const, pathname: '/ps/a', query: 'qos=3' },
    { method: 'PUT' as const, pathname: '/ps/a', query: 'retain=maybe' },
    { method: 'PUT' as const, pathname: '/ps', query: '' },
    { method: 'GET' as const, pathname: '/ps/a/+', query: '' },
  ]
  for (const c of cases) {
    const res = await send({ hostname: v4.host, port: v4.port, method: c.method, pathname: c.pathname, query: c.query }, 'x')
    assert.equal(res.code, '4.00', `${c.method} ${c.pathname}?${c.query}`)
    assert.ok(res.payload.length > 0, 'a diagnostic payload')
  }
  const ok = await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/a' }, 'x')
  assert.equal(ok.code, '2.04')
})

test('an unknown path is 4.04 and an unsupported method on it is 4.05', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  assert.equal((await send({ hostname: v4.host, port: v4.port, pathname: '/nothing/here' })).code, '4.04')
  assert.equal((await send({ hostname: v4.host, port: v4.port, method: 'PATCH' as never, pathname: '/ps/a' })).code, '4.05')
})

test('an oversized single-datagram payload gets 4.13 with Size1', async (t) => {
  const hub = await startTestHub({ coap: { limits: { maxPayloadSize: 512 } } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const res = await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/big' }, Buffer.alloc(800, 1))
  assert.equal(res.code, '4.13')
  assert.equal(res.headers.Size1, 512)
  assert.equal((await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/small' }, 'x')).code, '2.04')
})
