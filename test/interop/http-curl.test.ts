import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import mqtt, { type IPublishPacket } from 'mqtt'
import { runTool, skipWithout, startTool } from '../helpers/external-binary.js'
import { portOf, startTestHub } from '../helpers/hub.js'

/**
 * The HTTP API driven by curl, the way docs/http-api.md shows it, with an MQTT.js subscriber on the
 * other side. `-s -S` hides progress but shows errors; `-w` appends the status code on its own line.
 */

interface Setup {
  base: string
  received: Array<{ topic: string; payload: string; packet: IPublishPacket }>
}

async function setUp(t: TestContext): Promise<Setup> {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { protocolVersion: 5, reconnectPeriod: 0 })
  t.after(() => client.endAsync(true))
  const received: Setup['received'] = []
  client.on('message', (topic, payload, packet) => void received.push({ topic, payload: payload.toString(), packet }))
  await client.subscribeAsync('#', { qos: 2, rap: true })
  return { base: `http://127.0.0.1:${portOf(hub, 'http')}`, received }
}

/** Run curl; the last output line is the HTTP status (`-w`). */
async function curl(args: string[], input?: string): Promise<{ status: number; body: string }> {
  const result = await runTool('curl', ['-s', '-S', '-w', '\n%{http_code}', ...args], input === undefined ? {} : { input })
  assert.equal(result.code, 0, result.stderr)
  const cut = result.stdout.lastIndexOf('\n')
  return { status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut) }
}

async function waitForMessages(setup: Setup, count: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (setup.received.length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} MQTT messages, got ${setup.received.length}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

test('curl publishes JSON and raw bodies that an MQTT subscriber receives', async (t) => {
  if (skipWithout(t, 'curl')) return
  const setup = await setUp(t)
  const json = await curl([`${setup.base}/api/v1/publish`, '-d', '{"topic":"curl/json","payload":{"v":1},"qos":1,"retain":true}'])
  assert.equal(json.status, 200)
  assert.match(json.body, /^\{"id":"[^"]+","matched":1\}$/)
  const raw = await curl([`${setup.base}/api/v1/topics/curl/raw?qos=2`, '-H', 'Content-Type: text/csv', '--data-binary', '@-'], 'a,b\n1,2\n')
  assert.equal(raw.status, 200)
  await waitForMessages(setup, 2)
  const [first, second] = setup.received
  assert.deepEqual([first?.topic, first?.payload, first?.packet.qos, first?.packet.retain, first?.packet.properties?.contentType], ['curl/json', '{"v":1}', 1, true, 'application/json'])
  assert.deepEqual([second?.topic, second?.payload, second?.packet.qos, second?.packet.properties?.contentType], ['curl/raw', 'a,b\n1,2\n', 2, 'text/csv'])
})

test('curl reads a retained message with its ETag, gets 304 on If-None-Match, and clears it', async (t) => {
  if (skipWithout(t, 'curl')) return
  const setup = await setUp(t)
  await curl([`${setup.base}/api/v1/topics/curl/state?retain=true`, '-H', 'Content-Type: text/plain', '-d', 'on'])
  const read = await curl(['-i', `${setup.base}/api/v1/topics/curl/state`])
  assert.equal(read.status, 200)
  const etag = /^etag: (.+?)\r?$/im.exec(read.body)?.[1]
  assert.ok(etag !== undefined, read.body)
  assert.match(read.body, /^content-type: text\/plain\r?$/im)
  assert.match(read.body, /\r\n\r\non$/)
  const cached = await curl([`${setup.base}/api/v1/topics/curl/state`, '-H', `If-None-Match: ${etag}`])
  assert.equal(cached.status, 304)
  assert.equal((await curl(['-X', 'DELETE', `${setup.base}/api/v1/topics/curl/state`])).status, 204)
  const gone = await curl([`${setup.base}/api/v1/topics/curl/state`])
  assert.equal(gone.status, 404)
  assert.equal((JSON.parse(gone.body) as { error: { code: string } }).error.code, 'HUB_ERR_NOT_FOUND')
})

test('curl -N follows an SSE stream of messages matching a wildcard filter', async (t) => {
  if (skipWithout(t, 'curl')) return
  const setup = await setUp(t)
  const stream = startTool('curl', ['-s', '-N', `${setup.base}/api/v1/stream?filter=curl/%2B/temp`])
  t.after(() => stream.kill())
  await stream.waitFor(/: subscribed/)
  await curl([`${setup.base}/api/v1/publish`, '-d', '{"topic":"curl/attic/temp","payload":"30"}'])
  const [, data] = await stream.waitFor(/event: message\ndata: (.+)\n/)
  const event = JSON.parse(data ?? '') as { topic: string; payload: string }
  assert.deepEqual([event.topic, event.payload], ['curl/attic/temp', '30'])
})

test('curl gets JSON errors for bad input, and nothing reaches the MQTT subscriber', async (t) => {
  if (skipWithout(t, 'curl')) return
  const setup = await setUp(t)
  const cases: Array<[string[], number, string]> = [
    [[`${setup.base}/api/v1/publish`, '-d', '{"topic":'], 400, 'HUB_ERR_BAD_REQUEST'],
    [[`${setup.base}/api/v1/publish`, '-d', '{"topic":"a/#","payload":"x"}'], 400, 'HUB_ERR_TOPIC_INVALID'],
    [[`${setup.base}/api/v1/publish`, '-d', '{"topic":"a","payload":"x","qos":3}'], 400, 'HUB_ERR_BAD_REQUEST'],
    [[`${setup.base}/api/v1/nowhere`], 404, 'HUB_ERR_NOT_FOUND'],
    [['-X', 'PATCH', `${setup.base}/api/v1/publish`], 405, 'HUB_ERR_METHOD_NOT_ALLOWED'],
  ]
  for (const [args, status, code] of cases) {
    const result = await curl(args)
    assert.equal(result.status, status, args.join(' '))
    assert.equal((JSON.parse(result.body) as { error: { code: string } }).error.code, code)
  }
  await curl([`${setup.base}/api/v1/publish`, '-d', '{"topic":"sentinel","payload":"end"}'])
  await waitForMessages(setup, 1)
  assert.deepEqual(setup.received.map((m) => m.topic), ['sentinel'])
})
