import assert from 'node:assert/strict'
import { test } from 'node:test'
import { collectMessages, errorOf, postJson, startHttpHub } from './http-helpers.js'

test('a retained message round-trips through GET with its content type, a strong ETag and 304 on If-None-Match', async (t) => {
  const { base } = await startHttpHub(t)
  const published = await postJson(`${base}/api/v1/publish`, { topic: 'rooms/hall/state', payload: { on: true }, retain: true, qos: 1 })
  const { id } = (await published.json()) as { id: string }

  const read = await fetch(`${base}/api/v1/topics/rooms/hall/state`)
  assert.equal(read.status, 200)
  assert.equal(read.headers.get('content-type'), 'application/json')
  const etag = read.headers.get('etag')
  assert.equal(etag, `"${id}"`)
  assert.equal(await read.text(), '{"on":true}')

  const again = await fetch(`${base}/api/v1/topics/rooms/hall/state`, { headers: { 'if-none-match': etag! } })
  assert.equal(again.status, 304)
  assert.equal(again.headers.get('etag'), etag)
  assert.equal(await again.text(), '')

  // A newer retained message has a new tag, so the old one no longer matches.
  await postJson(`${base}/api/v1/publish`, { topic: 'rooms/hall/state', payload: 'off', retain: true })
  const changed = await fetch(`${base}/api/v1/topics/rooms/hall/state`, { headers: { 'if-none-match': etag! } })
  assert.equal(changed.status, 200)
  assert.notEqual(changed.headers.get('etag'), etag)
  assert.equal(await changed.text(), 'off')
})

test('a retained message without a content type is served as application/octet-stream, bytes intact', async (t) => {
  const { base } = await startHttpHub(t)
  const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00])
  await fetch(`${base}/api/v1/topics/raw/bytes?retain=1`, { method: 'POST', body: bytes, headers: { 'content-type': '' } })
  const read = await fetch(`${base}/api/v1/topics/raw/bytes`)
  assert.equal(read.headers.get('content-type'), 'application/octet-stream')
  assert.deepEqual(Buffer.from(await read.arrayBuffer()), bytes)
})

test('GET of a topic with no retained message is a 404 JSON error', async (t) => {
  const { base } = await startHttpHub(t)
  const read = await fetch(`${base}/api/v1/topics/never/set`)
  assert.equal(read.status, 404)
  const error = await errorOf(read)
  assert.equal(error.code, 'HUB_ERR_NOT_FOUND')
  assert.match(error.message, /never\/set/)
})

test('DELETE clears the retained message without publishing anything, and a second DELETE is a 404', async (t) => {
  const { hub, base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 'to/clear', payload: 'x', retain: true })
  const messages = collectMessages(t, hub)
  const cleared = await fetch(`${base}/api/v1/topics/to/clear`, { method: 'DELETE' })
  assert.equal(cleared.status, 204)
  assert.equal((await fetch(`${base}/api/v1/topics/to/clear`)).status, 404)
  assert.equal(await hub.ctx.retained.get('to/clear'), undefined)
  const again = await fetch(`${base}/api/v1/topics/to/clear`, { method: 'DELETE' })
  assert.equal(again.status, 404)
  assert.equal((await errorOf(again)).code, 'HUB_ERR_NOT_FOUND')
  assert.equal(messages.length, 0)
})

test('URL-encoded levels in the path name topics with spaces, slashes and non-ASCII text', async (t) => {
  const { base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 'häuser/Zimmer 1/temp', payload: '20', retain: true })
  const read = await fetch(`${base}/api/v1/topics/h%C3%A4user/Zimmer%201/temp`)
  assert.equal(read.status, 200)
  assert.equal(await read.text(), '20')
})

test('GET /api/v1/retained lists retained messages matching a filter, with text or base64 payloads', async (t) => {
  const { base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 'list/a', payload: 'text', retain: true, properties: { contentType: 'text/plain' } })
  await postJson(`${base}/api/v1/publish`, { topic: 'list/b', payload: Buffer.from([0xff, 0x00]).toString('base64'), encoding: 'base64', retain: true, qos: 1 })
  await postJson(`${base}/api/v1/publish`, { topic: 'other/c', payload: 'no', retain: true })

  const response = await fetch(`${base}/api/v1/retained?filter=${encodeURIComponent('list/+')}`)
  assert.equal(response.status, 200)
  const body = (await response.json()) as { messages: Array<Record<string, unknown>>; truncated: boolean }
  const byTopic = new Map(body.messages.map((m) => [m.topic, m]))
  assert.equal(body.messages.length, 2)
  assert.equal(body.truncated, false)
  assert.equal(byTopic.get('list/a')?.payload, 'text')
  assert.equal(byTopic.get('list/a')?.encoding, 'utf8')
  assert.deepEqual(byTopic.get('list/a')?.properties, { contentType: 'text/plain' })
  assert.equal(byTopic.get('list/b')?.payload, '/wA=')
  assert.equal(byTopic.get('list/b')?.encoding, 'base64')
  assert.equal(byTopic.get('list/b')?.qos, 1)
  assert.equal(typeof byTopic.get('list/b')?.receivedAt, 'number')

  const all = (await (await fetch(`${base}/api/v1/retained?limit=2`)).json()) as { messages: unknown[]; truncated: boolean }
  assert.equal(all.messages.length, 2)
  assert.equal(all.truncated, true)

  const bad = await fetch(`${base}/api/v1/retained?filter=${encodeURIComponent('a/#/b')}`)
  assert.equal(bad.status, 400)
  assert.equal((await errorOf(bad)).code, 'HUB_ERR_FILTER_INVALID')
})

test('HEAD of a retained topic gives the headers without the body', async (t) => {
  const { base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 'head/me', payload: 'hello', retain: true })
  const head = await fetch(`${base}/api/v1/topics/head/me`, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers.get('content-length'), '5')
  assert.equal(await head.text(), '')
})
