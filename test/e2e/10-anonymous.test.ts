import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt'
import { coapClient } from '../bridges/coap/helpers.js'
import { portOf, startTestHub } from '../helpers/hub.js'

// One identity model for every protocol (DESIGN.md §4, §9.1): `auth.allowAnonymous: false` refuses
// clients without credentials on MQTT, HTTP and CoAP alike, through the same authenticate hook.

test('with auth.allowAnonymous false, MQTT, HTTP and CoAP refuse anonymous clients and accept credentials', async (t) => {
  const hub = await startTestHub({ auth: { allowAnonymous: false } })
  t.after(() => hub.close())
  const received: string[] = []
  hub.ctx.subscribe('anon/#', (message) => {
    received.push(message.topic)
  })

  const mqttUrl = `mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`
  const refused = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5, reconnectPeriod: 0 }).then(
    () => undefined,
    (error: { code?: number }) => error,
  )
  assert.equal(refused?.code, 0x87) // Not authorized, MQTT 5.0 §3.2.2.2
  const client = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5, reconnectPeriod: 0, username: 'alice', password: 'secret' })
  t.after(() => client.endAsync(true))
  await client.publishAsync('anon/mqtt', 'x', { qos: 1 })

  const http = `http://127.0.0.1:${portOf(hub, 'http')}/api/v1/publish`
  const body = JSON.stringify({ topic: 'anon/http', payload: 'x' })
  const anonymous = await fetch(http, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  assert.equal(anonymous.status, 401)
  const basic = `Basic ${Buffer.from('alice:secret').toString('base64')}`
  const authorized = await fetch(http, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic }, body })
  assert.equal(authorized.status, 200)

  const coap = coapClient(t)
  const port = portOf(hub, 'coap')
  const anonymousPut = await coap({ hostname: '127.0.0.1', port, method: 'PUT', pathname: '/ps/anon/coap' }, 'x')
  assert.equal(anonymousPut.code, '4.01')
  const authorizedPut = await coap({ hostname: '127.0.0.1', port, method: 'PUT', pathname: '/ps/anon/coap', query: 'u=alice&p=secret' }, 'x')
  assert.equal(authorizedPut.code, '2.04')

  assert.deepEqual(received.sort(), ['anon/coap', 'anon/http', 'anon/mqtt'])
})
