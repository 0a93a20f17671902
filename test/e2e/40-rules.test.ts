import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { IncomingMessage } from 'coap'
import mqtt, { type MqttClient } from 'mqtt'
import { isHubError } from '../../src/errors.js'
import type { Hub } from '../../src/index.js'
import { coapClient } from '../bridges/coap/helpers.js'
import { createTestHub, portOf, startTestHub } from '../helpers/hub.js'
import { closedPort, ruleDir, startWebhook, waitFor, writeRules, type WebhookCall } from '../rules/helpers.js'

/**
 * The rules engine end to end: devices publish over CoAP and HTTP, rules republish to an MQTT.js
 * subscriber and call a webhook on a local HTTP server, schedules and client events fire, loops are
 * refused, and a dead webhook is retried and dead-lettered without disturbing the other rules.
 */

async function subscriber(t: TestContext, hub: Hub, filter: string): Promise<{ client: MqttClient; received: Array<{ topic: string; payload: string }> }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { clientId: `e2e-sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 })
  t.after(() => client.endAsync(true))
  const received: Array<{ topic: string; payload: string }> = []
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }))
  await client.subscribeAsync(filter, { qos: 1 })
  return { client, received }
}

/** A CoAP PUT with the `coap` package on a socket the test owns. */
function coapPut(t: TestContext, hub: Hub, path: string, payload: string): Promise<IncomingMessage> {
  return coapClient(t)({ hostname: '127.0.0.1', port: portOf(hub, 'coap'), method: 'PUT', pathname: path, contentFormat: 'application/json' }, payload)
}

async function httpPost(hub: Hub, topic: string, payload: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${portOf(hub, 'http')}/api/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, payload }) })
}

function overheatRules(webhook: string): string {
  return `
- id: overheat
  sql: |
    SELECT payload.temp AS temp, topic(2) AS room, protocol
    FROM "sensors/+/temp"
    WHERE payload.temp > 30
  actions:
    - republish: { topic: "alerts/\${room}", qos: 1 }
    - http: { url: "${webhook}/hook", retry: { attempts: 3, backoffMs: 50 } }
`
}

test('a CoAP PUT and an HTTP POST over the threshold each cause a republish to MQTT and a webhook call; cool readings cause neither', async (t) => {
  const webhook = await startWebhook(t)
  const file = writeRules(ruleDir(t), 'rules.yaml', overheatRules(webhook.url))
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const { received } = await subscriber(t, hub, 'alerts/#')

  const cool = await coapPut(t, hub, '/ps/sensors/kitchen/temp', '{"temp": 20}')
  assert.equal(cool.code, '2.04')
  assert.equal((await httpPost(hub, 'sensors/kitchen/temp', { temp: 20 })).status, 200)

  const hot = await coapPut(t, hub, '/ps/sensors/kitchen/temp', '{"temp": 31}')
  assert.equal(hot.code, '2.04')
  await waitFor('the republish of the CoAP reading', () => received[0])
  await waitFor('the webhook call for the CoAP reading', () => webhook.calls[0])
  assert.equal((await httpPost(hub, 'sensors/kitchen/temp', { temp: 31 })).status, 200)
  await waitFor('the republish of the HTTP reading', () => received[1])
  await waitFor('the webhook call for the HTTP reading', () => webhook.calls[1])

  assert.deepEqual(
    received.map((m) => [m.topic, JSON.parse(m.payload)]),
    [
      ['alerts/kitchen', { temp: 31, room: 'kitchen', protocol: 'coap' }],
      ['alerts/kitchen', { temp: 31, room: 'kitchen', protocol: 'http' }],
    ],
  )
  assert.deepEqual(
    webhook.calls.map((c: WebhookCall) => [c.method, c.url, JSON.parse(c.body).protocol]),
    [
      ['POST', '/hook', 'coap'],
      ['POST', '/hook', 'http'],
    ],
  )
  const metrics = hub.ctx.services.get('rules')?.get('overheat')?.metrics
  assert.equal(metrics?.matched, 4)
  assert.equal(metrics?.passed, 2)
})

test('a scheduled rule fires on time and reaches an MQTT subscriber', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: heartbeat
  schedule: "*/1 * * * * *"
  sql: SELECT 'ping' AS msg
  actions:
    - republish: { topic: "hub/heartbeat" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const { received } = await subscriber(t, hub, 'hub/heartbeat')
  await waitFor('two heartbeats', () => (received.length >= 2 ? true : undefined), 15_000)
  assert.deepEqual(JSON.parse(received[0]?.payload ?? ''), { msg: 'ping' })
})

test('an event rule fires when an MQTT client connects', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: presence
  sql: SELECT clientid, proto_ver FROM "$events/client_connected" WHERE clientid = 'thermostat-1'
  actions:
    - republish: { topic: "presence/\${clientid}", payload: "online v\${proto_ver}" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const { received } = await subscriber(t, hub, 'presence/#')
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { clientId: 'thermostat-1', protocolVersion: 5, reconnectPeriod: 0 })
  t.after(() => device.endAsync(true))
  const message = await waitFor('the presence message', () => received[0])
  assert.deepEqual(message, { topic: 'presence/thermostat-1', payload: 'online v5' })
})

test('event rules fire on MQTT subscribe, unsubscribe and disconnect', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: sessions
  sql: |
    SELECT event, clientid, topic AS filter, qos, reason
    FROM "$events/session_subscribed", "$events/session_unsubscribed", "$events/client_disconnected"
    WHERE clientid = 'panel-1'
  actions:
    - republish: { topic: "audit/\${event}" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const { received } = await subscriber(t, hub, 'audit/#')
  const panel = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { clientId: 'panel-1', protocolVersion: 5, reconnectPeriod: 0 })
  await panel.subscribeAsync('rooms/+/light', { qos: 1 })
  await panel.unsubscribeAsync('rooms/+/light')
  await panel.endAsync()
  await waitFor('three audit messages', () => (received.length >= 3 ? true : undefined))
  const byTopic = Object.fromEntries(received.map((m) => [m.topic, JSON.parse(m.payload) as Record<string, unknown>]))
  assert.deepEqual(byTopic['audit/session_subscribed'], { event: 'session_subscribed', clientid: 'panel-1', filter: 'rooms/+/light', qos: 1, reason: null })
  assert.deepEqual(byTopic['audit/session_unsubscribed'], { event: 'session_unsubscribed', clientid: 'panel-1', filter: 'rooms/+/light', qos: null, reason: null })
  assert.equal(byTopic['audit/client_disconnected']?.event, 'client_disconnected')
  assert.equal(typeof byTopic['audit/client_disconnected']?.reason, 'string')
})

test('a republish carries its MQTT 5 properties, qos and retain to an MQTT 5 subscriber', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: reshape
  sql: SELECT payload.v AS v, topic(2) AS device FROM "raw/+"
  actions:
    - republish:
        topic: "clean/\${device}"
        payload: "v=\${v}"
        qos: 1
        retain: true
        properties:
          contentType: text/plain
          messageExpiryInterval: 600
          responseTopic: "replies/\${device}"
          correlationData: "corr-\${device}"
          userProperties: { device: "\${device}", source: rules }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { clientId: 'props-sub', protocolVersion: 5, reconnectPeriod: 0 })
  t.after(() => client.endAsync(true))
  const received: Array<{ topic: string; payload: string; packet: mqtt.IPublishPacket }> = []
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), packet }))
  await client.subscribeAsync('clean/#', { qos: 1, rap: true })
  assert.equal((await httpPost(hub, 'raw/d7', { v: 42 })).status, 200)
  const message = await waitFor('the republished message', () => received[0])
  assert.equal(message.topic, 'clean/d7')
  assert.equal(message.payload, 'v=42')
  assert.equal(message.packet.qos, 1)
  assert.equal(message.packet.retain, true)
  const props = message.packet.properties
  assert.equal(props?.contentType, 'text/plain')
  assert.equal(props?.responseTopic, 'replies/d7')
  assert.equal(props?.correlationData?.toString(), 'corr-d7')
  assert.deepEqual({ ...props?.userProperties }, { device: 'd7', source: 'rules' })
  assert.ok((props?.messageExpiryInterval ?? 0) > 0 && (props?.messageExpiryInterval ?? 0) <= 600)
  assert.equal((await hub.ctx.retained.get('clean/d7'))?.payload.toString(), 'v=42')
})

test('rules that feed each other are refused when the hub starts, with the cycle named', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: forward
  sql: SELECT * FROM "sensors/+/temp"
  actions: [{ republish: { topic: "relay/\${clientid}" } }]
- id: relay
  sql: SELECT * FROM "relay/#"
  actions: [{ republish: { topic: "sensors/relay/temp" } }]
`)
  const hub = await createTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  await assert.rejects(hub.start(), (error: unknown) => {
    assert.ok(isHubError(error, 'HUB_ERR_RULE_LOOP'))
    assert.equal(error.message, 'rule loop: forward -> relay -> forward')
    return true
  })
})

test('a rule whose webhook is down retries, counts its failures and dead-letters them, while the other rules keep working', async (t) => {
  const webhook = await startWebhook(t)
  const down = await closedPort()
  const file = writeRules(ruleDir(t), 'rules.yaml', `${overheatRules(webhook.url)}
- id: archive
  sql: SELECT payload.temp AS temp, topic AS source FROM "sensors/+/temp"
  deadLetterTopic: rules/dead
  actions:
    - http: { url: "http://127.0.0.1:${down}/archive", timeoutMs: 2000, retry: { attempts: 3, backoffMs: 20 } }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const alerts = await subscriber(t, hub, 'alerts/#')
  const dead = await subscriber(t, hub, 'rules/dead')

  assert.equal((await httpPost(hub, 'sensors/lab/temp', { temp: 35 })).status, 200)

  const letter = JSON.parse((await waitFor('the dead letter', () => dead.received[0])).payload) as Record<string, any>
  assert.equal(letter.rule, 'archive')
  assert.match(letter.error, /failed \(attempt 3\)/)
  assert.deepEqual(letter.fields, { temp: 35, source: 'sensors/lab/temp' })
  assert.equal(letter.message.topic, 'sensors/lab/temp')
  assert.equal(letter.message.payload, '{"temp":35}')
  const archive = hub.ctx.services.get('rules')?.get('archive')?.metrics
  assert.equal(archive?.failed, 1)
  assert.equal(archive?.actionsFailed, 1)
  assert.equal(archive?.retries, 2)

  await waitFor('the other rule to republish', () => alerts.received[0])
  await waitFor('the other rule to call its webhook', () => webhook.calls[0])
  assert.equal(alerts.received[0]?.topic, 'alerts/lab')
  const metrics = await (await fetch(`http://127.0.0.1:${portOf(hub, 'http')}/metrics`)).text()
  assert.match(metrics, /junction_rule_failed_total\{rule="archive"\} 1/)
  assert.match(metrics, /junction_rule_action_retries_total\{rule="archive"\} 2/)
  assert.match(metrics, /junction_rule_actions_total\{rule="overheat",result="succeeded"\} 2/)
})
