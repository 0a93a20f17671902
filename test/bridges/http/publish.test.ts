import assert from 'node:assert/strict'
import { test } from 'node:test'
import { collectMessages, errorOf, postJson, startHttpHub, waitFor } from './http-helpers.js'

test('a JSON publish reaches kernel subscribers with its topic, payload, QoS, retain flag and properties', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const messages = collectMessages(t, hub, 'sensors/#')
  const response = await postJson(`${base}/api/v1/publish`, {
    topic: 'sensors/kitchen/temp',
    payload: '21.5',
    qos: 1,
    retain: true,
    properties: {
      contentType: 'text/plain',
      messageExpiryInterval: 60,
      userProperties: { unit: 'C', tags: ['a', 'b'] },
      responseTopic: 'replies/kitchen',
      correlationData: Buffer.from('req-1').toString('base64'),
      payloadFormatIndicator: true,
    },
  })
  assert.equal(response.status, 200)
  const body = (await response.json()) as { id: string; matched: number }
  assert.equal(body.matched, 1)
  assert.equal(messages.length, 1)
  const [message] = messages
  assert.equal(message?.id, body.id)
  assert.equal(message?.topic, 'sensors/kitchen/temp')
  assert.equal(message?.payload.toString(), '21.5')
  assert.equal(message?.qos, 1)
  assert.equal(message?.retain, true)
  assert.deepEqual(message?.origin, { protocol: 'http' })
  assert.equal(message?.properties.contentType, 'text/plain')
  assert.equal(message?.properties.messageExpiryInterval, 60)
  assert.deepEqual(message?.properties.userProperties, { unit: 'C', tags: ['a', 'b'] })
  assert.equal(message?.properties.responseTopic, 'replies/kitchen')
  assert.equal(message?.properties.correlationData?.toString(), 'req-1')
  assert.equal(message?.properties.payloadFormatIndicator, true)
  // QoS 1 from HTTP: the retained copy is stored before the 200.
  assert.equal((await hub.ctx.retained.get('sensors/kitchen/temp'))?.id, body.id)
})

test('payload encodings turn base64 into bytes and JSON values into serialized JSON', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const messages = collectMessages(t, hub)
  const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe])
  assert.equal((await postJson(`${base}/api/v1/publish`, { topic: 'bin', payload: bytes.toString('base64'), encoding: 'base64' })).status, 200)
  assert.equal((await postJson(`${base}/api/v1/publish`, { topic: 'json', payload: { temp: 21, ok: true } })).status, 200)
  assert.equal((await postJson(`${base}/api/v1/publish`, { topic: 'json-text', payload: 'quoted', encoding: 'json' })).status, 200)
  assert.deepEqual(messages[0]?.payload, bytes)
  assert.equal(messages[1]?.payload.toString(), '{"temp":21,"ok":true}')
  assert.equal(messages[1]?.properties.contentType, 'application/json')
  assert.equal(messages[2]?.payload.toString(), '"quoted"')
})

test('a raw POST publishes the body as is, with Content-Type as the MQTT 5 content type and qos/retain from the query', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const messages = collectMessages(t, hub)
  const body = Buffer.from([0x01, 0x02, 0x03, 0xff])
  const response = await fetch(`${base}/api/v1/topics/devices/pump%201/state?qos=2&retain=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/cbor' },
    body,
  })
  assert.equal(response.status, 200)
  assert.equal(((await response.json()) as { matched: number }).matched, 1)
  assert.equal(messages[0]?.topic, 'devices/pump 1/state')
  assert.deepEqual(messages[0]?.payload, body)
  assert.equal(messages[0]?.qos, 2)
  assert.equal(messages[0]?.retain, true)
  assert.equal(messages[0]?.properties.contentType, 'application/cbor')
})

test('the publish answer counts the subscriptions the message matched', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const nobody = (await (await postJson(`${base}/api/v1/publish`, { topic: 'lonely', payload: 'x' })).json()) as { matched: number }
  assert.equal(nobody.matched, 0)
  collectMessages(t, hub, 'lonely')
  collectMessages(t, hub, '+')
  const two = (await (await postJson(`${base}/api/v1/publish`, { topic: 'lonely', payload: 'x' })).json()) as { matched: number }
  assert.equal(two.matched, 2)
})

test('a bulk publish sends every good item in order and reports each bad item without stopping', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const messages = collectMessages(t, hub)
  const response = await postJson(`${base}/api/v1/publish/bulk`, [
    { topic: 'bulk/1', payload: 'one' },
    { topic: 'bulk/+', payload: 'wildcard' },
    { topic: 'bulk/2', payload: 'two', qos: 3 },
    { topic: 'bulk/3', payload: 'three', qos: 1 },
  ])
  assert.equal(response.status, 200)
  const body = (await response.json()) as { published: number; failed: number; results: Array<{ ok: boolean; id?: string; error?: { code: string; message: string } }> }
  assert.equal(body.published, 2)
  assert.equal(body.failed, 2)
  assert.equal(body.results[0]?.ok, true)
  assert.equal(body.results[1]?.error?.code, 'HUB_ERR_TOPIC_INVALID')
  assert.match(body.results[1]?.error?.message ?? '', /wildcard/)
  assert.equal(body.results[2]?.error?.code, 'HUB_ERR_BAD_REQUEST')
  assert.match(body.results[2]?.error?.message ?? '', /^\[2\]\.qos: /)
  assert.equal(body.results[3]?.ok, true)
  assert.deepEqual(messages.map((m) => [m.topic, m.payload.toString(), m.qos]), [
    ['bulk/1', 'one', 0],
    ['bulk/3', 'three', 1],
  ])
})

test('a bulk body that is not an array, or has too many items, is refused whole', async (t) => {
  const { hub, base } = await startHttpHub(t, { http: { maxBulkItems: 2 } })
  const messages = collectMessages(t, hub)
  const notArray = await postJson(`${base}/api/v1/publish/bulk`, { topic: 'a', payload: 'b' })
  assert.equal(notArray.status, 400)
  assert.match((await errorOf(notArray)).message, /JSON array/)
  const tooMany = await postJson(`${base}/api/v1/publish/bulk`, [1, 2, 3].map((n) => ({ topic: `t/${n}`, payload: 'x' })))
  assert.equal(tooMany.status, 400)
  assert.match((await errorOf(tooMany)).message, /3 items is more than the maximum of 2/)
  assert.equal(messages.length, 0)
})

/** Bad requests, each with the status, code and a phrase its message must contain. */
const badRequests: Array<{ name: string; send: (base: string) => Promise<Response>; status: number; code: string; message: RegExp }> = [
  { name: 'invalid JSON', send: (b) => postJson(`${b}/api/v1/publish`, '{"topic": "a",'), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /not valid JSON/ },
  { name: 'a missing topic', send: (b) => postJson(`${b}/api/v1/publish`, { payload: 'x' }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /^topic: topic is required/ },
  { name: 'an empty topic', send: (b) => postJson(`${b}/api/v1/publish`, { topic: '', payload: 'x' }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /^topic: topic must not be empty/ },
  { name: 'a missing payload', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a' }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /^payload: payload is required/ },
  { name: 'a wildcard topic (+)', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a/+/c', payload: 'x' }), status: 400, code: 'HUB_ERR_TOPIC_INVALID', message: /^topic: .*wildcards/ },
  { name: 'a wildcard topic (#)', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a/#', payload: 'x' }), status: 400, code: 'HUB_ERR_TOPIC_INVALID', message: /^topic: .*wildcards/ },
  { name: 'qos 3', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'x', qos: 3 }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /^qos: qos must be 0, 1 or 2/ },
  { name: 'an unknown field', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'x', qso: 1 }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /qso/ },
  { name: 'a body that is not an object', send: (b) => postJson(`${b}/api/v1/publish`, '[1]'), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /must be a JSON object/ },
  {
    name: 'invalid base64',
    send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'not base64!', encoding: 'base64' }),
    status: 400,
    code: 'HUB_ERR_BAD_REQUEST',
    message: /^payload: not valid base64/,
  },
  {
    name: 'unpadded base64',
    send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'YWJj ZA', encoding: 'base64' }),
    status: 400,
    code: 'HUB_ERR_BAD_REQUEST',
    message: /^payload: not valid base64/,
  },
  {
    name: 'invalid base64 correlation data',
    send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'x', properties: { correlationData: '***' } }),
    status: 400,
    code: 'HUB_ERR_BAD_REQUEST',
    message: /^properties\.correlationData: /,
  },
  {
    name: 'a wildcard response topic',
    send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'x', properties: { responseTopic: 'r/#' } }),
    status: 400,
    code: 'HUB_ERR_TOPIC_INVALID',
    message: /^properties\.responseTopic: /,
  },
  { name: 'a payload above the maximum (JSON)', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a', payload: 'x'.repeat(1025) }), status: 413, code: 'HUB_ERR_PAYLOAD_TOO_LARGE', message: /1025 bytes is more than the maximum of 1024/ },
  { name: 'a payload above the maximum (raw)', send: (b) => fetch(`${b}/api/v1/topics/a`, { method: 'POST', body: Buffer.alloc(1025) }), status: 413, code: 'HUB_ERR_PAYLOAD_TOO_LARGE', message: /^body: 1025 bytes is more than the maximum of 1024 bytes/ },
  { name: 'a raw POST to a wildcard topic', send: (b) => fetch(`${b}/api/v1/topics/a/%2B/c`, { method: 'POST', body: 'x' }), status: 400, code: 'HUB_ERR_TOPIC_INVALID', message: /wildcards/ },
  { name: 'a raw POST with qos 3', send: (b) => fetch(`${b}/api/v1/topics/a?qos=3`, { method: 'POST', body: 'x' }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /^qos: qos must be 0, 1 or 2/ },
  { name: 'a raw POST with a bad retain flag', send: (b) => fetch(`${b}/api/v1/topics/a?retain=yes`, { method: 'POST', body: 'x' }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /^retain: / },
  { name: 'a topic with too many levels', send: (b) => postJson(`${b}/api/v1/publish`, { topic: 'a/b/c/d/e', payload: 'x' }), status: 400, code: 'HUB_ERR_TOPIC_INVALID', message: /more than 4 levels/ },
  { name: 'a $SYS topic', send: (b) => postJson(`${b}/api/v1/publish`, { topic: '$SYS/broker/uptime', payload: 'x' }), status: 403, code: 'HUB_ERR_NOT_AUTHORIZED', message: /\$SYS\/broker\/uptime/ },
  { name: 'an unknown route', send: (b) => fetch(`${b}/api/v1/nothing-here`), status: 404, code: 'HUB_ERR_NOT_FOUND', message: /GET \/api\/v1\/nothing-here/ },
  { name: 'a wrong method', send: (b) => fetch(`${b}/api/v1/publish`, { method: 'GET' }), status: 405, code: 'HUB_ERR_METHOD_NOT_ALLOWED', message: /GET is not supported/ },
  { name: 'broken percent-encoding in a topic', send: (b) => fetch(`${b}/api/v1/topics/a%E0%A4%A`, { method: 'POST', body: 'x' }), status: 400, code: 'HUB_ERR_BAD_REQUEST', message: /percent-encoding/ },
]

test('bad input gets the right 4xx with a JSON error naming the problem, and nothing is published', async (t) => {
  const { hub, base } = await startHttpHub(t, { http: { maxPayloadBytes: 1024, maxTopicLevels: 4 } })
  const messages = collectMessages(t, hub)
  for (const bad of badRequests) {
    const response = await bad.send(base)
    assert.equal(response.status, bad.status, bad.name)
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, bad.name)
    const error = await errorOf(response)
    assert.equal(error.code, bad.code, bad.name)
    assert.match(error.message, bad.message, `${bad.name}: ${error.message}`)
  }
  const sentinel = await postJson(`${base}/api/v1/publish`, { topic: 'sentinel', payload: 'last' })
  assert.equal(sentinel.status, 200)
  await waitFor(() => messages.length > 0, 'the sentinel message')
  assert.deepEqual(messages.map((m) => m.topic), ['sentinel'])
})

test('a wrong method answers 405 with the allowed methods, and OPTIONS lists them', async (t) => {
  const { base } = await startHttpHub(t)
  const wrong = await fetch(`${base}/api/v1/topics/a/b`, { method: 'PUT', body: 'x' })
  assert.equal(wrong.status, 405)
  assert.equal(wrong.headers.get('allow'), 'POST, GET, DELETE, HEAD, OPTIONS')
  const options = await fetch(`${base}/api/v1/publish`, { method: 'OPTIONS' })
  assert.equal(options.status, 204)
  assert.equal(options.headers.get('allow'), 'POST, OPTIONS')
})
