import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createHttpApp } from '../../../bridges/http/index.js'
import { httpConfigSchema } from '../../../bridges/http/schema.js'
import { isHubError } from '../../../src/errors.js'
import { createTestHub, startTestHub } from '../../helpers/hub.js'
import { errorOf, postJson, startHttpHub } from './http-helpers.js'

test('GET /metrics is Prometheus text with hub counters by protocol, retained count and HTTP requests by route and status', async (t) => {
  const { hub, base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 'm/1', payload: 'abc', retain: true })
  await postJson(`${base}/api/v1/publish`, { topic: 'm/+', payload: 'abc' })
  await hub.ctx.publish({ topic: 'm/2', payload: Buffer.from('xy') }, { protocol: 'coap' })
  hub.ctx.stats.requests.coap += 3

  const response = await fetch(`${base}/metrics`)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  assert.match(text, /^# TYPE junction_messages_received_total counter$/m)
  assert.match(text, /^junction_messages_received_total\{protocol="http"\} 1$/m)
  assert.match(text, /^junction_messages_received_total\{protocol="coap"\} 1$/m)
  assert.match(text, /^junction_messages_sent_total\{protocol="mqtt"\} 0$/m)
  assert.match(text, /^junction_bytes_received_total 5$/m)
  assert.match(text, /^junction_retained_messages 1$/m)
  assert.match(text, /^junction_connections 0$/m)
  assert.match(text, /^junction_messages_dropped_total 0$/m)
  assert.match(text, /^junction_protocol_errors_total 0$/m)
  assert.match(text, /^junction_bridge_requests_total\{protocol="coap"\} 3$/m)
  assert.match(text, /^junction_bridge_requests_total\{protocol="http"\} 3$/m)
  assert.match(text, /^junction_http_requests_total\{method="POST",route="\/api\/v1\/publish",status="200"\} 1$/m)
  assert.match(text, /^junction_http_requests_total\{method="POST",route="\/api\/v1\/publish",status="400"\} 1$/m)
  // Node's process metrics, as every Node exporter has them
  assert.match(text, /^process_cpu_seconds_total \d/m)
  assert.match(text, /^process_resident_memory_bytes \d/m)
  assert.match(text, /^nodejs_heap_size_used_bytes \d/m)
  assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m)
})

test('GET /healthz answers 200 and GET /readyz 200 when every listener is up', async (t) => {
  const { base } = await startHttpHub(t)
  const health = await fetch(`${base}/healthz`)
  assert.equal(health.status, 200)
  assert.deepEqual(await health.json(), { status: 'ok' })
  const ready = await fetch(`${base}/readyz`)
  assert.equal(ready.status, 200)
  assert.deepEqual(await ready.json(), { status: 'ready' })
})

test('GET /readyz answers 503 while the hub is not ready', async (t) => {
  const hub = await startTestHub({ http: { enabled: false } })
  t.after(() => hub.close())
  // The same app on a context whose listeners are not all up.
  const { app, close } = createHttpApp({ ...hub.ctx, inspect: { ...hub.ctx.inspect, ready: () => false } }, httpConfigSchema.parse({}))
  const server = createServer(app).listen(0, '127.0.0.1')
  t.after(() => {
    close()
    server.close()
  })
  await new Promise((resolve) => server.once('listening', resolve))
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`)
  assert.equal(response.status, 503)
  assert.equal((await errorOf(response)).code, 'HUB_ERR_UNAVAILABLE')
})

test('inspection lists clients, sessions and subscriptions, and DELETE of an unknown client is a 404', async (t) => {
  const { base } = await startHttpHub(t)
  const clients = (await (await fetch(`${base}/api/v1/clients`)).json()) as { clients: unknown[] }
  assert.ok(Array.isArray(clients.clients))
  const sessions = (await (await fetch(`${base}/api/v1/sessions`)).json()) as { sessions: unknown[] }
  assert.ok(Array.isArray(sessions.sessions))
  const subscriptions = (await (await fetch(`${base}/api/v1/subscriptions?clientId=nobody`)).json()) as { subscriptions: unknown[] }
  assert.deepEqual(subscriptions.subscriptions, [])
  const gone = await fetch(`${base}/api/v1/clients/no-such-client`, { method: 'DELETE' })
  assert.equal(gone.status, 404)
  assert.match((await errorOf(gone)).message, /no-such-client/)
})

test('GET /api/v1/stats reports the hub counters and the retained count', async (t) => {
  const { base } = await startHttpHub(t)
  await postJson(`${base}/api/v1/publish`, { topic: 's/1', payload: 'x', retain: true })
  const stats = (await (await fetch(`${base}/api/v1/stats`)).json()) as Record<string, unknown>
  assert.equal(stats.retained, 1)
  assert.deepEqual(stats.messagesIn, { mqtt: 0, http: 1, coap: 0, rule: 0, system: 0 })
  assert.equal(stats.bytesIn, 1)
  assert.equal(typeof stats.uptimeSeconds, 'number')
  assert.deepEqual(stats.requests, { http: 2, coap: 0 })
})

test('the bridge listens on the configured host and reports the port it actually bound', async (t) => {
  const { hub } = await startHttpHub(t)
  const [listener] = hub.listeners().filter((l) => l.name === 'http')
  assert.equal(listener?.host, '127.0.0.1')
  assert.ok((listener?.port ?? 0) > 0)
  assert.equal(listener?.url, `http://127.0.0.1:${listener?.port}`)
})

test('the bridge also serves on an IPv6 loopback host', async (t) => {
  const { hub } = await startHttpHub(t, { http: { host: '::1' } })
  const [listener] = hub.listeners().filter((l) => l.name === 'http')
  assert.equal(listener?.url, `http://[::1]:${listener?.port}`)
  const response = await fetch(`${listener?.url}/healthz`)
  assert.equal(response.status, 200)
})

test('a port already in use stops the start with an error naming the address', async (t) => {
  const { hub: first } = await startHttpHub(t)
  const taken = first.listeners().find((l) => l.name === 'http')?.port
  const second = await createTestHub({ http: { port: taken } })
  t.after(() => second.close())
  await assert.rejects(second.start(), (error: unknown) => isHubError(error, 'HUB_ERR_CONFIG_INVALID') && error.message === `http: cannot listen on 127.0.0.1:${taken} (EADDRINUSE)`)
})
