import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHubError } from '../../src/errors.js'
import { createTestHub, startTestHub } from '../helpers/hub.js'
import { closedPort, collect, ruleDir, startWebhook, waitFor, writeRules } from './helpers.js'

const json = (value: unknown) => Buffer.from(JSON.stringify(value))

test('a matching message is republished with the selected fields and calls the webhook; a non-matching one does neither', async (t) => {
  const webhook = await startWebhook(t)
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: overheat
  sql: |
    SELECT payload.temp AS temp, topic(2) AS room, clientid
    FROM "sensors/+/temp"
    WHERE payload.temp > 30
  actions:
    - republish: { topic: "alerts/\${room}", qos: 1 }
    - http: { url: "${webhook.url}/hook/\${room}", headers: { x-room: "\${room}" } }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const alerts = collect(t, hub, 'alerts/#')

  await hub.ctx.publish({ topic: 'sensors/kitchen/temp', payload: json({ temp: 20 }) }, { protocol: 'http' })
  await hub.ctx.publish({ topic: 'sensors/kitchen/temp', payload: json({ temp: 31 }) }, { protocol: 'mqtt', clientId: 'dev1' })

  const alert = await waitFor('the republish', () => alerts[0])
  assert.equal(alert.topic, 'alerts/kitchen')
  assert.equal(alert.qos, 1)
  assert.deepEqual(JSON.parse(alert.payload.toString()), { temp: 31, room: 'kitchen', clientid: 'dev1' })
  assert.deepEqual(alert.origin, { protocol: 'rule', ruleId: 'overheat', hops: 1 })
  const call = await waitFor('the webhook call', () => webhook.calls[0])
  assert.equal(call.method, 'POST')
  assert.equal(call.url, '/hook/kitchen')
  assert.equal(call.headers['x-room'], 'kitchen')
  assert.equal(call.headers['content-type'], 'application/json')
  assert.deepEqual(JSON.parse(call.body), { temp: 31, room: 'kitchen', clientid: 'dev1' })

  const view = hub.ctx.services.get('rules')?.get('overheat')
  await waitFor('the action counts', () => (view !== undefined && hub.ctx.services.get('rules')?.get('overheat')?.metrics.actionsSucceeded === 2 ? true : undefined))
  const metrics = hub.ctx.services.get('rules')?.get('overheat')?.metrics
  assert.equal(metrics?.matched, 2)
  assert.equal(metrics?.passed, 1)
  assert.equal(metrics?.failed, 0)
  assert.equal(alerts.length, 1)
  assert.equal(webhook.calls.length, 1)
  const prometheus = await hub.ctx.metrics.metrics()
  assert.match(prometheus, /junction_rule_matched_total\{rule="overheat"\} 2/)
  assert.match(prometheus, /junction_rule_actions_total\{rule="overheat",result="succeeded"\} 2/)
  assert.match(prometheus, /junction_rule_latency_seconds_count\{rule="overheat"\} 1/)
})

test('a rule whose webhook is down retries, counts the failure and dead-letters it while other rules keep working', async (t) => {
  const port = await closedPort()
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: broken-hook
  sql: SELECT payload.temp AS temp FROM "sensors/+/temp"
  deadLetterTopic: dead/letters
  actions:
    - http: { url: "http://127.0.0.1:${port}/down", retry: { attempts: 3, backoffMs: 10 } }
- id: healthy
  sql: SELECT payload.temp AS temp FROM "sensors/+/temp"
  actions:
    - republish: { topic: "ok/\${temp}" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const dead = collect(t, hub, 'dead/letters')
  const ok = collect(t, hub, 'ok/#')

  await hub.ctx.publish({ topic: 'sensors/kitchen/temp', payload: json({ temp: 31 }) }, { protocol: 'coap' })

  const letter = await waitFor('the dead letter', () => dead[0])
  const body = JSON.parse(letter.payload.toString()) as Record<string, any>
  assert.equal(body.rule, 'broken-hook')
  assert.match(body.error, /HTTP POST http:\/\/127\.0\.0\.1:\d+\/down failed \(attempt 3\)/)
  assert.deepEqual(body.action, { index: 0, kind: 'http' })
  assert.equal(body.message.topic, 'sensors/kitchen/temp')
  assert.equal(body.message.payload, '{"temp":31}')
  assert.equal(body.message.protocol, 'coap')
  assert.deepEqual(letter.origin, { protocol: 'rule', ruleId: 'broken-hook', hops: 1 })
  const metrics = hub.ctx.services.get('rules')?.get('broken-hook')?.metrics
  assert.equal(metrics?.failed, 1)
  assert.equal(metrics?.actionsFailed, 1)
  assert.equal(metrics?.retries, 2)
  assert.equal(ok[0]?.topic, 'ok/31')
  assert.equal(hub.ctx.services.get('rules')?.get('healthy')?.metrics.actionsSucceeded, 1)
  assert.match(await hub.ctx.metrics.metrics(), /junction_rule_action_retries_total\{rule="broken-hook"\} 2/)
})

test('a webhook answering 400 is not retried', async (t) => {
  const webhook = await startWebhook(t, 400)
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: rejected
  sql: SELECT * FROM "in"
  deadLetterTopic: dead
  actions:
    - http: { url: "${webhook.url}/", retry: { attempts: 5, backoffMs: 10 } }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const dead = collect(t, hub, 'dead')
  await hub.ctx.publish({ topic: 'in', payload: Buffer.from('x') }, { protocol: 'http' })
  const letter = await waitFor('the dead letter', () => dead[0])
  assert.match(JSON.parse(letter.payload.toString()).error, /answered 400 Bad Request \(attempt 1\)/)
  assert.equal(webhook.calls.length, 1)
  assert.equal(hub.ctx.services.get('rules')?.get('rejected')?.metrics.retries, 0)
})

test('an SQL evaluation error fails the rule and is dead-lettered', async (t) => {
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: divide
  sql: SELECT 1 / payload.n AS x FROM "calc"
  deadLetterTopic: dead
  actions: [{ log: {} }]
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const dead = collect(t, hub, 'dead')
  await hub.ctx.publish({ topic: 'calc', payload: json({ n: 0 }) }, { protocol: 'http' })
  const letter = await waitFor('the dead letter', () => dead[0])
  assert.equal(JSON.parse(letter.payload.toString()).error, 'division by zero')
  assert.equal(hub.ctx.services.get('rules')?.get('divide')?.metrics.failed, 1)
})

test('a scheduled rule fires on the clock', async (t) => {
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: heartbeat
  schedule: "*/1 * * * * *"
  sql: SELECT 'ping' AS msg
  actions:
    - republish: { topic: "hub/heartbeat" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const beats = collect(t, hub, 'hub/heartbeat')
  await waitFor('two heartbeats', () => (beats.length >= 2 ? true : undefined), 15_000)
  assert.deepEqual(JSON.parse(beats[0]?.payload.toString() ?? ''), { msg: 'ping' })
})

test('an event rule fires when a client connects', async (t) => {
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: hello
  sql: SELECT clientid, username, proto_ver FROM "$events/client_connected" WHERE clientid LIKE 'dev%'
  actions:
    - republish: { topic: "presence/\${clientid}", payload: "online \${proto_ver}" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const presence = collect(t, hub, 'presence/#')
  hub.ctx.events.emit('client_connected', { clientId: 'other', protocol: 'mqtt', protocolVersion: 4, keepAlive: 60, cleanStart: true })
  hub.ctx.events.emit('client_connected', { clientId: 'dev7', username: 'u', protocol: 'mqtt', protocolVersion: 5, keepAlive: 60, cleanStart: true })
  const message = await waitFor('the presence message', () => presence[0])
  assert.equal(message.topic, 'presence/dev7')
  assert.equal(message.payload.toString(), 'online 5')
  assert.equal(presence.length, 1)
})

test('rules that feed each other are rejected at load time with the cycle named', async (t) => {
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: a
  sql: SELECT * FROM "x/+"
  actions: [{ republish: { topic: "y/\${clientid}" } }]
- id: b
  sql: SELECT * FROM "y/#"
  actions: [{ republish: { topic: "x/back" } }]
`)
  const hub = await createTestHub({ http: { enabled: false }, coap: { enabled: false }, rules: { files: [file] } })
  t.after(() => hub.close())
  await assert.rejects(hub.start(), (error: unknown) => {
    assert.ok(isHubError(error, 'HUB_ERR_RULE_LOOP'))
    assert.equal(error.message, 'rule loop: a -> b -> a')
    return true
  })
})

test('a loop the load-time check cannot see is stopped by the hop limit', async (t) => {
  const dir = ruleDir(t)
  // the whole topic comes from the payload, so the check reads it as one level ('+'), which cannot match hop/x/#
  const file = writeRules(dir, 'rules.yaml', `
- id: bounce
  sql: SELECT payload.next AS next FROM "hop/x/#"
  actions: [{ republish: { topic: "\${next}", payload: '{"next":"\${next}"}' } }]
- id: drops
  sql: SELECT topic, reason FROM "$events/message_dropped"
  actions: [{ republish: { topic: "audit/drops" } }]
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const dropped: string[] = []
  hub.ctx.events.on('message_dropped', (e) => dropped.push(e.reason))
  const seen = collect(t, hub, 'hop/x/#')
  const audit = collect(t, hub, 'audit/drops')
  await hub.ctx.publish({ topic: 'hop/x/start', payload: json({ next: 'hop/x/loop' }) }, { protocol: 'http' })
  await waitFor('the hop limit to drop the message', () => (dropped.length > 0 ? true : undefined))
  assert.match(dropped[0] ?? '', /hop limit/)
  const hops = seen.map((m) => m.origin.hops ?? 0)
  assert.ok(hops.length > 2 && hops.length < 20, `bounded number of republishes, saw ${hops.length}`)
  assert.ok((hub.ctx.services.get('rules')?.get('bounce')?.metrics.failed ?? 0) >= 1)
  const notice = await waitFor('the drop notice', () => audit[0])
  assert.equal(JSON.parse(notice.payload.toString()).topic, 'hop/x/loop')
  assert.match(JSON.parse(notice.payload.toString()).reason, /hop limit/)
  assert.equal(audit.length, 1)
})

test('a CoAP action goes through the coap.request service and fails clearly without it', async (t) => {
  const dir = ruleDir(t)
  const file = writeRules(dir, 'rules.yaml', `
- id: fan
  sql: SELECT payload.temp AS temp FROM "sensors/+/temp"
  deadLetterTopic: dead
  actions:
    - coap: { url: "coap://[::1]/fan", method: PUT, payload: "on \${temp}" }
`)
  const hub = await startTestHub({ rules: { files: [file] }, coap: { enabled: false } })
  t.after(() => hub.close())
  const dead = collect(t, hub, 'dead')
  await hub.ctx.publish({ topic: 'sensors/a/temp', payload: json({ temp: 1 }) }, { protocol: 'http' })
  const letter = await waitFor('the dead letter', () => dead[0])
  assert.match(JSON.parse(letter.payload.toString()).error, /no CoAP client is available/)

  const requests: unknown[] = []
  hub.ctx.services.provide('coap.request', async (request) => {
    requests.push(request)
    return { code: '2.04', payload: Buffer.alloc(0) }
  })
  await hub.ctx.publish({ topic: 'sensors/a/temp', payload: json({ temp: 2 }) }, { protocol: 'http' })
  const request = (await waitFor('the CoAP request', () => requests[0])) as { url: string; method: string; payload: Buffer }
  assert.equal(request.url, 'coap://[::1]/fan')
  assert.equal(request.method, 'PUT')
  assert.equal(request.payload.toString(), 'on 2')
})
