import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { test } from 'node:test'
import { errorOf, openSse, postJson, startHttpHub, waitFor } from './http-helpers.js'

test('a stream delivers every message matching a wildcard filter as Server-Sent Events', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const stream = await openSse(t, `${base}/api/v1/stream?filter=${encodeURIComponent('sensors/+/temp')}`)
  assert.equal(stream.response.status, 200)
  assert.match(stream.response.headers.get('content-type') ?? '', /^text\/event-stream/)
  assert.deepEqual(await stream.next(), { comment: 'subscribed' })

  await hub.ctx.publish({ topic: 'sensors/kitchen/temp', payload: Buffer.from('21'), qos: 1, properties: { contentType: 'text/plain' } }, { protocol: 'mqtt', clientId: 'c1' })
  await hub.ctx.publish({ topic: 'sensors/kitchen/humidity', payload: Buffer.from('40') }, { protocol: 'mqtt' })
  await hub.ctx.publish({ topic: 'sensors/cellar/temp', payload: Buffer.from([0xff, 0x00]), retain: true }, { protocol: 'mqtt' })

  const first = await stream.nextEvent()
  assert.equal(first.event, 'message')
  const data = JSON.parse(first.data) as Record<string, unknown>
  assert.equal(first.id, data.id)
  assert.equal(data.topic, 'sensors/kitchen/temp')
  assert.equal(data.payload, '21')
  assert.equal(data.encoding, 'utf8')
  assert.equal(data.qos, 1)
  assert.equal(data.retain, false)
  assert.deepEqual(data.properties, { contentType: 'text/plain' })

  const second = JSON.parse((await stream.nextEvent()).data) as Record<string, unknown>
  assert.equal(second.topic, 'sensors/cellar/temp')
  assert.equal(second.payload, '/wA=')
  assert.equal(second.encoding, 'base64')
  assert.equal(second.retain, true)
})

test('a stream with retained=true first sends the retained messages matching the filter', async (t) => {
  const { base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 'state/door', payload: 'open', retain: true })
  const stream = await openSse(t, `${base}/api/v1/stream?filter=state/%23&retained=true`)
  const event = JSON.parse((await stream.nextEvent()).data) as Record<string, unknown>
  assert.equal(event.topic, 'state/door')
  assert.equal(event.payload, 'open')
})

test('closing the stream removes its kernel subscription', async (t) => {
  const { base } = await startHttpHub(t)
  const stream = await openSse(t, `${base}/api/v1/stream?filter=gone/%23`)
  await stream.next()
  const matched = async () => ((await (await postJson(`${base}/api/v1/publish`, { topic: 'gone/x', payload: 'p' })).json()) as { matched: number }).matched
  assert.equal(await matched(), 1)
  stream.close()
  await waitFor(async () => (await matched()) === 0, 'the stream subscription to go away')
})

test('keep-alive comments are sent on an idle stream', async (t) => {
  const { base } = await startHttpHub(t, { http: { streamKeepAliveSeconds: 0.05 } })
  const stream = await openSse(t, `${base}/api/v1/stream?filter=quiet`)
  assert.deepEqual(await stream.next(), { comment: 'subscribed' })
  assert.deepEqual(await stream.next(), { comment: 'keep-alive' })
})

test('a stream filter is validated: a missing or malformed filter is a 400 before the stream starts', async (t) => {
  const { base } = await startHttpHub(t)
  const missing = await fetch(`${base}/api/v1/stream`)
  assert.equal(missing.status, 400)
  assert.match((await errorOf(missing)).message, /^filter: filter is required/)
  const malformed = await fetch(`${base}/api/v1/stream?filter=${encodeURIComponent('a/#/b')}`)
  assert.equal(malformed.status, 400)
  const error = await errorOf(malformed)
  assert.equal(error.code, 'HUB_ERR_FILTER_INVALID')
  assert.match(error.message, /^filter: '#' must be the whole last level/)
})

test('a reader that stops reading is cut off and counted instead of being buffered without bound', async (t) => {
  const { hub, base } = await startHttpHub(t, { http: { streamMaxBufferBytes: 64 * 1024 } })
  const port = Number(new URL(base).port)
  // A raw socket that sends the request and never reads the answer.
  const socket = connect(port, '127.0.0.1')
  t.after(() => socket.destroy())
  await once(socket, 'connect')
  socket.write(`GET /api/v1/stream?filter=flood HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  await once(socket, 'data')
  socket.pause()

  let cutOff = false
  hub.ctx.events.on('message_dropped', ({ reason }) => {
    if (/HTTP stream/.test(reason)) cutOff = true
  })
  const payload = Buffer.alloc(32 * 1024, 0x61)
  // Bounded: at most 64 MiB, far beyond any loopback socket buffer.
  for (let i = 0; i < 2048 && !cutOff; i++) {
    await hub.ctx.publish({ topic: 'flood', payload }, { protocol: 'mqtt' })
    await new Promise((resolve) => setImmediate(resolve))
  }
  assert.equal(cutOff, true)
  const metrics = await (await fetch(`${base}/metrics`)).text()
  assert.match(metrics, /^junction_http_stream_cutoffs_total 1$/m)
  assert.match(metrics, /^junction_http_streams 0$/m)
  const { matched } = (await (await postJson(`${base}/api/v1/publish`, { topic: 'flood', payload: 'x' })).json()) as { matched: number }
  assert.equal(matched, 0)
})

test('stopping the hub ends open streams', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const stream = await openSse(t, `${base}/api/v1/stream?filter=%23`)
  await stream.next()
  await hub.close()
  await assert.rejects(stream.next(), /the stream ended/)
})
