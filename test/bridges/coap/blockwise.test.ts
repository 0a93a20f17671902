import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import type { Message } from '../../../src/message.js'
import { startTestHub } from '../../helpers/hub.js'
import { coapAddresses, coapClient, observe, optionOf, rawSocket, uintOf, uriPath } from './helpers.js'

/** Block option value (RFC 7959 §2.2). */
function block(num: number, more: boolean, szx: number): Buffer {
  const n = num * 16 + (more ? 8 : 0) + szx
  if (n < 256) return Buffer.of(n)
  if (n < 65536) return Buffer.of(n >> 8, n & 0xff)
  return Buffer.of(n >> 16, (n >> 8) & 0xff, n & 0xff)
}

function firstMessage(hub: Awaited<ReturnType<typeof startTestHub>>, filter: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${filter}`)), 10_000)
    const unsubscribe = hub.ctx.subscribe(filter, (m) => {
      clearTimeout(timer)
      unsubscribe()
      resolve(m)
    })
  })
}

test('a 16 KB PUT sent block-wise by the coap client is reassembled and published once', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const payload = randomBytes(16 * 1024)
  const arrived = firstMessage(hub, 'big/up')
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  // The coap agent sends Block1 when the option is set (its value is the SZX: 6 = 1024 bytes)
  const res = await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/ps/big/up', options: { Block1: Buffer.of(6) } }, payload)
  assert.equal(res.code, '2.04')
  const message = await arrived
  assert.deepEqual(message.payload, payload)
})

test('Block1 uploads are reassembled by peer and URI even when every block has a new token (as libcoap sends them)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const payload = randomBytes(3000)
  const arrived = firstMessage(hub, 'tok/en')
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  const blocks = [payload.subarray(0, 1024), payload.subarray(1024, 2048), payload.subarray(2048)]
  for (const [num, chunk] of blocks.entries()) {
    const more = num < blocks.length - 1
    raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 300 + num, token: Buffer.of(num + 1), payload: chunk, options: [...uriPath('ps/tok/en'), { name: 'Block1', value: block(num, more, 6) }] }, v4.port)
    const response = await raw.next()
    assert.equal(response.code, more ? '2.31' : '2.04', `block ${num}`)
    assert.deepEqual(response.token, Buffer.of(num + 1))
    assert.deepEqual(optionOf(response, 'Block1'), block(num, more, 6))
  }
  assert.deepEqual((await arrived).payload, payload)
})

test('a Block1 continuation without its first block gets 4.08, and an upload past the size limit gets 4.13', async (t) => {
  const hub = await startTestHub({ coap: { limits: { maxPayloadSize: 2048 } } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 1, token: Buffer.of(1), payload: Buffer.alloc(1024), options: [...uriPath('ps/x'), { name: 'Block1', value: block(2, true, 6) }] }, v4.port)
  assert.equal((await raw.next()).code, '4.08')
  for (let num = 0; num < 3; num++) {
    raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 10 + num, token: Buffer.of(2), payload: Buffer.alloc(1024), options: [...uriPath('ps/x'), { name: 'Block1', value: block(num, true, 6) }] }, v4.port)
    const response = await raw.next()
    if (num < 2) assert.equal(response.code, '2.31')
    else {
      assert.equal(response.code, '4.13')
      assert.equal(uintOf(optionOf(response, 'Size1')), 2048)
    }
  }
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 20, token: Buffer.of(3), payload: Buffer.from('ok'), options: uriPath('ps/x') }, v4.port)
  assert.equal((await raw.next()).code, '2.04')
})

test('a 16 KB retained message is read block-wise by the coap client', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const payload = randomBytes(16 * 1024)
  await hub.ctx.publish({ topic: 'big/down', payload, retain: true, properties: { contentType: 'application/octet-stream' } }, { protocol: 'system' })
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const res = await send({ hostname: v4.host, port: v4.port, pathname: '/ps/big/down' })
  assert.equal(res.code, '2.05')
  assert.deepEqual(res.payload, payload)
})

test('blocks of a large response follow the requested block size, with ETag and Size2', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const payload = randomBytes(1000)
  await hub.ctx.publish({ topic: 'mid', payload, retain: true }, { protocol: 'system' })
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  const parts: Buffer[] = []
  let etag: Buffer | undefined
  for (let num = 0; ; num++) {
    // A new token per block, as libcoap does
    raw.sendPacket({ code: 'GET', confirmable: true, messageId: 500 + num, token: Buffer.of(9, num), options: [...uriPath('ps/mid'), { name: 'Block2', value: block(num, false, 4) }] }, v4.port)
    const response = await raw.next()
    assert.equal(response.code, '2.05')
    if (num === 0) assert.equal(uintOf(optionOf(response, 'Size2')), 1000)
    etag ??= optionOf(response, 'ETag')
    assert.deepEqual(optionOf(response, 'ETag'), etag)
    parts.push(response.payload)
    const b2 = uintOf(optionOf(response, 'Block2')) as number
    if ((b2 & 8) === 0) break
    assert.ok(num < 10, 'bounded')
  }
  assert.deepEqual(Buffer.concat(parts), payload)
})

test('a large notification reaches the observer whole, block-wise', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const stream = await observe(t, { hostname: v4.host, port: v4.port, pathname: '/ps/big/notify' })
  const payload = randomBytes(5000)
  const got = new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no large notification')), 10_000)
    stream.on('data', (chunk: Buffer) => {
      if (chunk.length === 0) return
      clearTimeout(timer)
      resolve(chunk)
    })
  })
  await hub.ctx.publish({ topic: 'big/notify', payload, qos: 1 }, { protocol: 'system' })
  assert.deepEqual(await got, payload)
})

test('a Block1 upload to a path that cannot be published fails on its first block', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 1, token: Buffer.of(1), payload: Buffer.alloc(1024), options: [...uriPath('ps/a/+'), { name: 'Block1', value: block(0, true, 6) }] }, v4.port)
  assert.equal((await raw.next()).code, '4.00')
})
