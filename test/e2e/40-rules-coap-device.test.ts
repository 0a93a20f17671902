import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createServer, type IncomingMessage, type OutgoingMessage } from 'coap'
import { startTestHub } from '../helpers/hub.js'
import { collect, ruleDir, waitFor, writeRules } from '../rules/helpers.js'

/** A CoAP device on ::1: the `coap` package's server, answering `code` and recording requests. */
async function startDevice(t: TestContext, code: string): Promise<{ port: number; seen: Array<{ method: string; url: string; payload: string }> }> {
  const seen: Array<{ method: string; url: string; payload: string }> = []
  const server = createServer({ type: 'udp6' }, (req: IncomingMessage, res: OutgoingMessage) => {
    seen.push({ method: req.method, url: req.url, payload: req.payload.toString() })
    res.code = code
    res.end()
  })
  await new Promise<void>((resolve, reject) => server.listen(0, '::1', (error?: Error) => (error ? reject(error) : resolve())))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  // the coap package exposes no bound address; its socket does
  const port = (server as unknown as { _sock: { address(): { port: number } } })._sock.address().port
  return { port, seen }
}

test('a rule commands a CoAP device through the CoAP bridge, and a 4.xx answer fails the action', async (t) => {
  const fan = await startDevice(t, '2.04')
  const broken = await startDevice(t, '4.04')
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: fan-on
  sql: SELECT payload.temp AS temp, topic(2) AS room FROM "sensors/+/temp" WHERE payload.temp > 30
  actions:
    - coap: { url: "coap://[::1]:${fan.port}/fan/\${room}", method: PUT, payload: "on", contentFormat: 0 }
- id: missing-device
  sql: SELECT payload.temp AS temp FROM "sensors/+/temp"
  deadLetterTopic: dead
  actions:
    - coap: { url: "coap://[::1]:${broken.port}/nothing", method: POST }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const dead = collect(t, hub, 'dead')
  await hub.ctx.publish({ topic: 'sensors/kitchen/temp', payload: Buffer.from('{"temp":31}') }, { protocol: 'mqtt' })

  await waitFor('the fan command', () => fan.seen[0])
  assert.deepEqual(fan.seen, [{ method: 'PUT', url: '/fan/kitchen', payload: 'on' }])
  const letter = JSON.parse((await waitFor('the dead letter', () => dead[0])).payload.toString()) as { error: string }
  assert.match(letter.error, /CoAP POST coap:\/\/\[::1\]:\d+\/nothing answered 4\.04/)
  assert.deepEqual(broken.seen, [{ method: 'POST', url: '/nothing', payload: '{"temp":31}' }])
  await waitFor('the fan rule to count its action', () => (hub.ctx.services.get('rules')?.get('fan-on')?.metrics.actionsSucceeded === 1 ? true : undefined))
})
