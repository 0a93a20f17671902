import assert from 'node:assert/strict'
import { test } from 'node:test'
import { generate } from 'coap-packet'
import type { Message } from '../../../src/message.js'
import { startTestHub } from '../../helpers/hub.js'
import { coapAddresses, rawSocket, uriPath } from './helpers.js'

test('a retransmitted CON request (same message id, same peer) publishes once and gets the same response', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const received: Message[] = []
  hub.ctx.subscribe('dup', (m) => {
    received.push(m)
  })
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  const datagram = generate({ code: 'PUT', confirmable: true, messageId: 4242, token: Buffer.from('t1'), payload: Buffer.from('once'), options: uriPath('ps/dup') })
  raw.send(datagram, v4.port)
  raw.send(datagram, v4.port)
  const first = await raw.next()
  raw.send(datagram, v4.port) // after the response: answered from the deduplication cache
  const second = await raw.next()
  const third = await raw.next()
  for (const response of [first, second, third]) {
    assert.equal(response.code, '2.04')
    assert.equal(response.messageId, 4242)
  }
  // A new message id is a new request
  raw.send(generate({ code: 'PUT', confirmable: true, messageId: 4243, token: Buffer.from('t2'), payload: Buffer.from('twice'), options: uriPath('ps/dup') }), v4.port)
  assert.equal((await raw.next()).code, '2.04')
  assert.deepEqual(received.map((m) => m.payload.toString()), ['once', 'twice'])
  assert.equal(hub.ctx.stats.requests.coap, 2)
})

test('a datagram that is not CoAP is dropped and counted, and the bridge keeps serving', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.send(Buffer.from('{"hello":1}'), v4.port) // version 1 but reserved token length 11
  raw.send(Buffer.of(0x00, 0x01, 0x00, 0x01), v4.port) // version 0: silently ignored (RFC 7252 §3)
  raw.send(Buffer.of(0x40), v4.port) // shorter than a header
  raw.send(generate({ code: 'GET', confirmable: true, messageId: 1, options: uriPath('.well-known/core') }), v4.port)
  const response = await raw.next()
  assert.equal(response.code, '2.05', 'the first answer is to the valid request')
  assert.equal(hub.ctx.stats.protocolErrors, 3)
  const metrics = await hub.ctx.metrics.getSingleMetricAsString('junction_coap_malformed_datagrams_total')
  assert.match(metrics, /junction_coap_malformed_datagrams_total 3/)
})

test('a CON message with a valid header but malformed options is rejected with a Reset', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  // Version 1, CON, token length 0, GET, message id 0x0102, then option delta 15 (reserved, RFC 7252 §3.1)
  raw.send(Buffer.of(0x40, 0x01, 0x01, 0x02, 0xf1, 0x00), v4.port)
  const reset = await raw.next()
  assert.equal(reset.reset, true)
  assert.equal(reset.messageId, 0x0102)
  assert.equal(hub.ctx.stats.protocolErrors, 1)
})

test('an unrecognized critical option gets 4.02 Bad Option in a CON request and a Reset in a NON one', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  const options = [...uriPath('ps/crit'), { name: '2001', value: Buffer.from('x') }]
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 11, token: Buffer.of(1), payload: Buffer.from('x'), options }, v4.port)
  const bad = await raw.next()
  assert.equal(bad.code, '4.02')
  raw.sendPacket({ code: 'PUT', confirmable: false, messageId: 12, token: Buffer.of(2), payload: Buffer.from('x'), options }, v4.port)
  const reset = await raw.next()
  assert.equal(reset.reset, true)
  assert.equal(reset.messageId, 12)
  // An unknown elective (even-numbered) option is ignored (RFC 7252 §5.4.1)
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 13, token: Buffer.of(3), payload: Buffer.from('x'), options: [...uriPath('ps/crit'), { name: '2002', value: Buffer.from('x') }] }, v4.port)
  assert.equal((await raw.next()).code, '2.04')
})

test('a CoAP ping (empty CON) is answered with a Reset', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: '0.00', confirmable: true, messageId: 77 }, v4.port)
  const pong = await raw.next()
  assert.equal(pong.reset, true)
  assert.equal(pong.messageId, 77)
})

test('a request whose answer takes longer than the piggyback window gets an empty ACK, then a CON response', async (t) => {
  const hub = await startTestHub({ coap: { transmission: { separateResponseAfterMs: 0 } } }, {
    hooks: {
      authenticate: async (request) => {
        await new Promise((r) => setTimeout(r, 50))
        return { ok: true, identity: { protocol: request.protocol, roles: [] } }
      },
      authorizePublish: () => true,
      authorizeSubscribe: () => true,
    },
  })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 90, token: Buffer.from('sep'), payload: Buffer.from('x'), options: uriPath('ps/slow') }, v4.port)
  const ack = await raw.next()
  assert.equal(ack.ack, true)
  assert.equal(ack.code, '0.00')
  assert.equal(ack.messageId, 90)
  const response = await raw.next()
  assert.equal(response.confirmable, true)
  assert.equal(response.code, '2.04')
  assert.deepEqual(response.token, Buffer.from('sep'))
  raw.sendPacket({ code: '0.00', ack: true, messageId: response.messageId }, v4.port)
})

test('a Uri-Path that is not UTF-8 gets 4.00', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const raw = await rawSocket(t)
  raw.sendPacket({ code: 'PUT', confirmable: true, messageId: 3, token: Buffer.of(1), payload: Buffer.from('x'), options: [...uriPath('ps'), { name: 'Uri-Path', value: Buffer.of(0xc3, 0x28) }] }, v4.port)
  assert.equal((await raw.next()).code, '4.00')
})

test('the hub numbers its messages to each peer on their own: interleaved peers each see consecutive Message IDs (RFC 7252 §4.4)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const peers = [await rawSocket(t), await rawSocket(t)]
  const ids: number[][] = [[], []]
  for (let round = 0; round < 4; round++) {
    for (const [i, raw] of peers.entries()) {
      // NON requests get NON responses, which carry a Message ID of the hub's choosing
      raw.send(generate({ code: 'PUT', confirmable: false, messageId: 100 + round, token: Buffer.from([i, round]), payload: Buffer.from('x'), options: uriPath('ps/ids') }), v4.port)
      const response = await raw.next()
      assert.equal(response.code, '2.04')
      ids[i]?.push(response.messageId)
    }
  }
  for (const seen of ids) assert.deepEqual(seen, seen.map((_, k) => ((seen[0] as number) + k) & 0xffff), `consecutive: ${seen.join(', ')}`)
})
