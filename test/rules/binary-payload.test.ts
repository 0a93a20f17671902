import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import type { Hub } from '../../src/index.js'
import { compileBytesTemplate, compileTemplate } from '../../src/rules/actions/template.js'
import { dryRun } from '../../src/rules/dry-run.js'
import { ruleTestSchema } from '../../src/rules/rule-schema.js'
import { portOf, startTestHub } from '../helpers/hub.js'
import { runCli } from '../helpers/spawn-hub.js'
import { closedPort, collect, ruleDir, startWebhook, waitFor, writeRules } from './helpers.js'

/**
 * Binary payloads through rules: the payload column is bytes when they are not UTF-8, a payload
 * template of `${payload}` passes them on exactly, JSON shows them as base64, and text payloads are
 * untouched by all this.
 */

/** Not UTF-8 anywhere: NUL, 0xff and 0xfe (never in UTF-8), a lone continuation byte, a cut-off sequence. */
const BINARY = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x01, 0xc3, 0x41, 0x7f, 0xe2, 0x82, 0xf0])

const json = (buffer: Buffer | undefined) => JSON.parse(buffer?.toString('utf8') ?? '') as Record<string, unknown>

async function mqttClient(t: TestContext, hub: Hub, name: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, { clientId: `${name}-${process.pid}`, protocolVersion: 5, reconnectPeriod: 0 })
  t.after(() => client.endAsync(true))
  return client
}

function sample(sql: string, payload: Buffer) {
  return dryRun(ruleTestSchema.parse({ sql, message: { topic: 'dev/1', payload: payload.toString('base64'), encoding: 'base64' } }))
}

test('a binary payload republished through ${payload} reaches an MQTT subscriber byte for byte', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: passthrough
  sql: SELECT payload FROM "dev/#"
  actions:
    - republish: { topic: "raw/out", payload: "\${payload}", qos: 1 }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const subscriber = await mqttClient(t, hub, 'bin-sub')
  const received: Array<{ topic: string; payload: Buffer }> = []
  subscriber.on('message', (topic, payload) => received.push({ topic, payload: Buffer.from(payload) }))
  await subscriber.subscribeAsync('raw/#', { qos: 1 })
  const device = await mqttClient(t, hub, 'bin-dev')

  await device.publishAsync('dev/cam/1', BINARY, { qos: 1 })

  const message = await waitFor('the republished payload', () => received[0])
  assert.equal(message.topic, 'raw/out')
  assert.equal(message.payload.length, BINARY.length)
  assert.ok(message.payload.equals(BINARY), `expected ${BINARY.toString('hex')}, got ${message.payload.toString('hex')}`)
  assert.equal(hub.ctx.services.get('rules')?.get('passthrough')?.metrics.failed, 0)
})

test('text around ${payload} is joined to the raw bytes, in payloads and correlation data; topics get text', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: framed
  sql: SELECT payload, topic(2) AS device FROM "dev/#"
  actions:
    - republish:
        topic: "framed/\${device}"
        payload: "prefix/\${payload}|\${device}"
        properties: { correlationData: "\${payload}" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const framed = collect(t, hub, 'framed/#')
  await hub.ctx.publish({ topic: 'dev/cam', payload: BINARY }, { protocol: 'coap' })
  const message = await waitFor('the framed payload', () => framed[0])
  assert.equal(message.topic, 'framed/cam')
  assert.ok(message.payload.equals(Buffer.concat([Buffer.from('prefix/'), BINARY, Buffer.from('|cam')])), message.payload.toString('hex'))
  assert.ok(message.properties.correlationData?.equals(BINARY))
})

test('base64_encode, hex_encode, hashes and len of a binary payload work on its raw bytes', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: encode
  sql: |
    SELECT base64_encode(payload) AS b64, hex_encode(payload) AS hex, sha256(payload) AS digest,
           len(payload) AS size, payload.temp AS temp
    FROM "dev/#"
  actions:
    - republish: { topic: "encoded" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const encoded = collect(t, hub, 'encoded')
  await hub.ctx.publish({ topic: 'dev/1', payload: BINARY }, { protocol: 'http' })
  const message = await waitFor('the encoded payload', () => encoded[0])
  assert.deepEqual(json(message.payload), {
    b64: BINARY.toString('base64'),
    hex: BINARY.toString('hex'),
    digest: createHash('sha256').update(BINARY).digest('hex'),
    size: BINARY.length,
    temp: null,
  })
  assert.ok(Buffer.from(json(message.payload).b64 as string, 'base64').equals(BINARY))
})

test('the default JSON payload and webhook body show a binary payload column as base64; a ${payload} body is the raw bytes', async (t) => {
  const webhook = await startWebhook(t)
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: as-json
  sql: SELECT payload, topic FROM "dev/#"
  actions:
    - republish: { topic: "json/fields" }
    - http: { url: "${webhook.url}/json" }
- id: everything
  sql: SELECT * FROM "dev/#"
  actions:
    - republish: { topic: "json/star" }
- id: raw-body
  sql: SELECT payload, topic(2) AS device FROM "dev/#"
  actions:
    - http: { url: "${webhook.url}/raw/\${device}", body: "\${payload}", headers: { content-type: application/octet-stream, x-device: "\${device}" } }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const fields = collect(t, hub, 'json/fields')
  const star = collect(t, hub, 'json/star')
  await hub.ctx.publish({ topic: 'dev/cam', payload: BINARY }, { protocol: 'mqtt', clientId: 'cam' })

  assert.deepEqual(json((await waitFor('the fields', () => fields[0])).payload), { payload: BINARY.toString('base64'), topic: 'dev/cam' })
  const all = json((await waitFor('SELECT *', () => star[0])).payload)
  assert.equal(all.payload, BINARY.toString('base64'))
  assert.equal(all.clientid, 'cam')
  await waitFor('both webhook calls', () => (webhook.calls.length === 2 ? true : undefined))
  const jsonCall = webhook.calls.find((c) => c.url === '/json')
  assert.equal(jsonCall?.headers['content-type'], 'application/json')
  assert.deepEqual(JSON.parse(jsonCall?.body ?? ''), { payload: BINARY.toString('base64'), topic: 'dev/cam' })
  const rawCall = webhook.calls.find((c) => c.url === '/raw/cam')
  assert.equal(rawCall?.headers['x-device'], 'cam')
  assert.ok(rawCall?.bytes.equals(BINARY), rawCall?.bytes.toString('hex'))
})

test('a CoAP action sends a binary payload unchanged', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: to-device
  sql: SELECT payload FROM "dev/#"
  actions:
    - coap: { url: "coap://[::1]/fw", method: PUT, payload: "\${payload}", contentFormat: 42 }
`)
  const hub = await startTestHub({ rules: { files: [file] }, coap: { enabled: false } })
  t.after(() => hub.close())
  const requests: Array<{ payload: Buffer; contentFormat?: number }> = []
  hub.ctx.services.provide('coap.request', async (request) => {
    requests.push(request as { payload: Buffer; contentFormat?: number })
    return { code: '2.04', payload: Buffer.alloc(0) }
  })
  await hub.ctx.publish({ topic: 'dev/fw', payload: BINARY }, { protocol: 'http' })
  const request = await waitFor('the CoAP request', () => requests[0])
  assert.ok(request.payload.equals(BINARY), request.payload.toString('hex'))
  assert.equal(request.contentFormat, 42)
})

test('a failed action dead-letters binary fields as base64', async (t) => {
  const port = await closedPort()
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: down
  sql: SELECT payload FROM "dev/#"
  deadLetterTopic: dead
  actions:
    - http: { url: "http://127.0.0.1:${port}/", body: "\${payload}" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const dead = collect(t, hub, 'dead')
  await hub.ctx.publish({ topic: 'dev/1', payload: BINARY }, { protocol: 'http' })
  const letter = json((await waitFor('the dead letter', () => dead[0])).payload) as { fields: unknown; message: { payload: string; encoding: string } }
  assert.deepEqual(letter.fields, { payload: BINARY.toString('base64') })
  assert.deepEqual([letter.message.payload, letter.message.encoding], [BINARY.toString('base64'), 'base64'])
})

test('a text payload behaves as before: text column, JSON paths, the same bytes through ${payload}', async (t) => {
  // valid UTF-8, with multi-byte characters and a real U+FFFD, which must stay text
  const text = Buffer.from('{"temp":21.5,"note":"héllo ✓ \uFFFD"}', 'utf8')
  const file = writeRules(ruleDir(t), 'rules.yaml', `
- id: text
  sql: SELECT payload, payload.note AS note, upper(payload.note) AS loud, len(payload) AS size, base64_encode(payload) AS b64 FROM "dev/#"
  actions:
    - republish: { topic: "text/fields" }
    - republish: { topic: "text/raw", payload: "\${payload}" }
    - republish: { topic: "text/framed", payload: "<\${payload}>" }
`)
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const fields = collect(t, hub, 'text/fields')
  const raw = collect(t, hub, 'text/raw')
  const framed = collect(t, hub, 'text/framed')
  await hub.ctx.publish({ topic: 'dev/1', payload: text }, { protocol: 'http' })

  assert.deepEqual(json((await waitFor('the fields', () => fields[0])).payload), {
    payload: text.toString('utf8'),
    note: 'héllo ✓ \uFFFD',
    loud: 'HÉLLO ✓ \uFFFD',
    size: [...text.toString('utf8')].length,
    b64: text.toString('base64'),
  })
  assert.ok((await waitFor('the raw copy', () => raw[0])).payload.equals(text))
  assert.equal((await waitFor('the framed copy', () => framed[0])).payload.toString('utf8'), `<${text.toString('utf8')}>`)
})

test('SQL on bytes: = compares bytes, decoders give bytes when not UTF-8, text functions see the UTF-8 decoding', () => {
  const result = sample(
    `SELECT payload = hex_decode('${BINARY.toString('hex')}') AS same, payload = 'x' AS other, payload IN ('a', base64_decode('${BINARY.toString('base64')}')) AS listed,
            hex_decode('c3a9') AS text, hex_decode('ff00') AS bytes, 'p-' || payload AS joined, payload.x IS NULL AS nopath,
            json_encode(payload) AS j, startswith(payload, hex_decode('00')) AS starts
     FROM "dev/#" WHERE payload != ''`,
    BINARY,
  )
  assert.ok(result.ok, JSON.stringify(result))
  assert.deepEqual(result.output, {
    same: true,
    other: false,
    listed: true,
    text: 'é',
    bytes: Buffer.from([0xff, 0x00]).toString('base64'),
    joined: Buffer.concat([Buffer.from('p-'), BINARY]).toString('base64'),
    nopath: true,
    j: JSON.stringify(BINARY.toString('base64')),
    starts: true,
  })
  assert.deepEqual(result.binary, ['bytes', 'joined'])
  // bytes compare with a string's UTF-8
  const text = sample("SELECT payload = 'é' AS same, hex_decode('c3a9') = payload AS back FROM \"dev/#\"", Buffer.from('é'))
  assert.deepEqual(text.ok && text.output, { same: true, back: true })
})

test('the dry run shows binary output as base64 and says where; a text sample has no such note', async () => {
  const result = sample('SELECT payload, len(payload) AS size FROM "dev/#"', BINARY)
  assert.deepEqual(result, { ok: true, matched: true, passed: true, output: { payload: BINARY.toString('base64'), size: BINARY.length }, binary: ['payload'] })
  const text = dryRun(ruleTestSchema.parse({ sql: 'SELECT payload FROM "dev/#"', message: { topic: 'dev/1', payload: 'on' } }))
  assert.deepEqual(text, { ok: true, matched: true, passed: true, output: { payload: 'on' } })
  assert.throws(() => ruleTestSchema.parse({ sql: 'SELECT 1', message: { payload: 'not base64!', encoding: 'base64' } }), /the payload must be base64 text/)
})

test('junction rules test prints binary output as base64 with a note', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', '- id: raw\n  sql: SELECT payload FROM "dev/#"\n')
  const child = runCli(['rules', 'test', file, '--message', JSON.stringify({ topic: 'dev/1', payload: BINARY.toString('base64'), encoding: 'base64' })])
  let stdout = ''
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  assert.equal(code, 0)
  assert.equal(stdout.trim(), `raw: passed {"payload":"${BINARY.toString('base64')}"} (binary data as base64: payload)`)
})

test('templates: bytes templates copy binary data raw, text templates (topics, URLs, headers) give its UTF-8 decoding, JSON gives base64', () => {
  const fields = { payload: BINARY, obj: { blob: BINARY }, n: 7 }
  assert.equal(compileBytesTemplate('${payload}', 't')(fields), BINARY)
  assert.ok(compileBytesTemplate('${n}:${payload}:${n}', 't')(fields).equals(Buffer.concat([Buffer.from('7:'), BINARY, Buffer.from(':7')])))
  assert.equal(compileBytesTemplate('${obj}', 't')(fields).toString(), JSON.stringify({ blob: BINARY.toString('base64') }))
  assert.equal(compileTemplate('a/${payload}', 't')(fields), `a/${BINARY.toString('utf8')}`)
  assert.ok(compileBytesTemplate('plain ${missing}', 't')(fields).equals(Buffer.from('plain ')))
})
