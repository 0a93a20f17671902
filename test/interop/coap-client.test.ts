import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import type { HubConfigInput } from '../../src/index.js'
import { findBinary, runTool, skipWithout, startTool } from '../helpers/external-binary.js'
import { portOf, startTestHub } from '../helpers/hub.js'

/**
 * Interop with libcoap's command-line client (Debian `libcoap3-bin`, installed as
 * `coap-client-notls`, `-openssl` or `-gnutls`) against an in-process hub, with MQTT.js on the MQTT
 * side. coap-client exits 0 even on error responses, so the tests read its `-v 6` message log:
 * one line per message, `v:1 t:ACK c:2.04 i:... {token} [ options ] :: payload`.
 */
const CANDIDATES = ['coap-client-notls', 'coap-client-openssl', 'coap-client-gnutls', 'coap-client']
const coapClient = CANDIDATES.find((name) => findBinary(name) !== undefined)

function missingClient(t: TestContext): boolean {
  return skipWithout(t, 'coap-client', 'libcoap coap-client (libcoap3-bin) is not installed', () => coapClient !== undefined)
}

interface Hub {
  mqttUrl: string
  coap: string
  coap6: string
  hub: Awaited<ReturnType<typeof startTestHub>>
}

async function startHub(t: TestContext, overrides: HubConfigInput = {}): Promise<Hub> {
  const hub = await startTestHub(overrides)
  t.after(() => hub.close())
  return { hub, mqttUrl: `mqtt://127.0.0.1:${portOf(hub, 'mqtt')}`, coap: `coap://127.0.0.1:${portOf(hub, 'coap')}`, coap6: `coap://[::1]:${portOf(hub, 'coap6')}` }
}

async function connectMqtt(t: TestContext, url: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 })
  t.after(() => client.endAsync())
  return client
}

/** Response codes (`2.04`, `4.00`, ...) of the messages coap-client logged as received. */
function responseCodes(log: string): string[] {
  return [...log.matchAll(/^v:1 t:(?:ACK|CON|NON) c:(\d\.\d\d) /gm)].map((m) => m[1] as string)
}

async function coap(args: string[], timeoutMs = 20_000): Promise<{ log: string; stdout: string }> {
  const result = await runTool(coapClient as string, ['-v', '6', '-B', '10', ...args], { timeoutMs })
  assert.equal(result.code, 0, `coap-client ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
  return { log: result.stdout + result.stderr, stdout: result.stdout }
}

function nextMessage(client: MqttClient, topic: string): Promise<IPublishPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no MQTT message on ${topic}`)), 15_000)
    const onMessage = (received: string, _payload: Buffer, packet: IPublishPacket): void => {
      if (received !== topic) return
      clearTimeout(timer)
      client.off('message', onMessage)
      resolve(packet)
    }
    client.on('message', onMessage)
  })
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-coap-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

for (const family of ['IPv4', 'IPv6'] as const) {
  test(`a coap-client PUT over ${family} arrives at an MQTT.js subscriber with its payload, QoS and content type`, async (t) => {
    if (missingClient(t)) return
    const h = await startHub(t)
    const sub = await connectMqtt(t, h.mqttUrl)
    await sub.subscribeAsync('plant/+/state', { qos: 2 })
    const arrived = nextMessage(sub, 'plant/p1/state')
    const base = family === 'IPv4' ? h.coap : h.coap6
    const { log } = await coap(['-m', 'put', '-t', 'json', '-e', '{"on":true}', `${base}/ps/plant/p1/state`])
    assert.deepEqual(responseCodes(log), ['2.04'])
    const packet = await arrived
    assert.equal(packet.payload.toString(), '{"on":true}')
    assert.equal(packet.qos, 1, 'a CON request publishes at QoS 1')
    assert.equal(packet.properties?.contentType, 'application/json')
  })
}

test('a coap-client observer on a wildcard filter gets MQTT.js publishes in order and is removed when it deregisters', async (t) => {
  if (missingClient(t)) return
  const h = await startHub(t)
  if (skipWithout(t, 'stdbuf')) return
  // coap-client's stdout is a pipe, which C stdio buffers fully: `stdbuf -oL` makes lines arrive as printed
  const observer = startTool('stdbuf', ['-oL', coapClient as string, '-v', '6', '-w', '-s', '6', '-B', '10', `${h.coap6}/ps/room/%2B/temp`])
  t.after(() => observer.kill())
  await observer.waitFor(/c:2\.05 .*Observe:/)
  const pub = await connectMqtt(t, h.mqttUrl)
  const sent = Array.from({ length: 6 }, (_, i) => `t${i}`)
  for (const [i, payload] of sent.entries()) await pub.publishAsync(`room/${i % 3}/temp`, payload, { qos: i % 2 === 0 ? 1 : 0 })
  await observer.waitFor(/^t5$/m)
  const received = observer.stdout().split('\n').filter((line) => /^t\d$/.test(line))
  assert.deepEqual(received, sent)
  assert.equal(await observer.exited(20_000), 0)
  // libcoap deregisters when -s runs out (GET with Observe=1); the kernel subscription goes with it
  const deadline = Date.now() + 10_000
  for (;;) {
    const result = await h.hub.ctx.publish({ topic: 'room/1/temp', payload: Buffer.from('after') }, { protocol: 'system' })
    if (result.matched === 0) break
    assert.ok(Date.now() < deadline, 'the observation ended after deregistration')
    await new Promise((r) => setTimeout(r, 100))
  }
})

test('coap-client reads a retained message published by MQTT.js, deletes it, and then gets 4.04', async (t) => {
  if (missingClient(t)) return
  const h = await startHub(t)
  const pub = await connectMqtt(t, h.mqttUrl)
  await pub.publishAsync('cfg/mode', 'eco', { qos: 1, retain: true, properties: { contentType: 'text/plain' } })
  const read = await coap([`${h.coap}/ps/cfg/mode`])
  assert.deepEqual(responseCodes(read.log), ['2.05'])
  assert.match(read.log, /Content-Format:text\/plain/)
  assert.match(read.log, /:: 'eco'/)
  const del = await coap(['-m', 'delete', `${h.coap}/ps/cfg/mode`])
  assert.deepEqual(responseCodes(del.log), ['2.02'])
  const again = await coap([`${h.coap}/ps/cfg/mode`])
  assert.deepEqual(responseCodes(again.log), ['4.04'])
})

test('a 16 KB payload goes through block-wise in both directions with coap-client', async (t) => {
  if (missingClient(t)) return
  const h = await startHub(t)
  const dir = tempDir(t)
  const payload = randomBytes(16 * 1024)
  writeFileSync(join(dir, 'up.bin'), payload)
  const sub = await connectMqtt(t, h.mqttUrl)
  await sub.subscribeAsync('blob', { qos: 1 })
  const arrived = nextMessage(sub, 'blob')
  const up = await coap(['-m', 'put', '-b', '1024', '-f', join(dir, 'up.bin'), `${h.coap}/ps/blob?retain=true`])
  // coap-client logs the final response only: 2.04 carrying Block1 for the 16th 1024-byte block
  assert.equal(responseCodes(up.log).at(-1), '2.04')
  assert.match(up.log, /c:2\.04 .*Block1:15\/_\/1024/)
  assert.deepEqual((await arrived).payload, payload)
  await coap(['-o', join(dir, 'down.bin'), `${h.coap6}/ps/blob`])
  assert.deepEqual(readFileSync(join(dir, 'down.bin')), payload)
})

test('a coap-client observer receives a 5,000-byte MQTT.js publish whole, fetching its later blocks', async (t) => {
  if (missingClient(t)) return
  if (skipWithout(t, 'stdbuf')) return
  const h = await startHub(t)
  const dir = tempDir(t)
  const observer = startTool('stdbuf', ['-oL', coapClient as string, '-v', '6', '-s', '4', '-B', '10', '-o', join(dir, 'notified.bin'), `${h.coap}/ps/big/%23`])
  t.after(() => observer.kill())
  await observer.waitFor(/c:2\.05 .*Observe:/)
  const payload = randomBytes(5000)
  const pub = await connectMqtt(t, h.mqttUrl)
  await pub.publishAsync('big/n', payload, { qos: 1 })
  await observer.waitFor(/Block2:4\/_\/1024/)
  assert.equal(await observer.exited(20_000), 0)
  assert.deepEqual(readFileSync(join(dir, 'notified.bin')), payload)
})

test('coap-client discovers the resources in /.well-known/core, and a mapped resource publishes to its topic', async (t) => {
  if (missingClient(t)) return
  const h = await startHub(t, { coap: { resources: [{ path: 'sensors/{device}/temp', topic: 'devices/{device}/temperature', rt: 'temperature' }] } })
  const core = await coap([`${h.coap}/.well-known/core`])
  assert.match(core.log, /Content-Format:application\/link-format/)
  assert.match(core.stdout, /<\/ps>;rt="core.ps";obs/)
  assert.match(core.stdout, /<\/sensors\/\{device\}\/temp>;rt="temperature"/)
  const sub = await connectMqtt(t, h.mqttUrl)
  await sub.subscribeAsync('devices/+/temperature', { qos: 1 })
  const arrived = nextMessage(sub, 'devices/d7/temperature')
  const put = await coap(['-m', 'put', '-N', '-e', '19.5', `${h.coap}/sensors/d7/temp`])
  assert.doesNotMatch(put.log, /c:4\./)
  const packet = await arrived
  assert.equal(packet.payload.toString(), '19.5')
  assert.equal(packet.qos, 0, 'a NON request publishes at QoS 0')
})

test('bad input gets the right response code and the bridge keeps serving', async (t) => {
  if (missingClient(t)) return
  const h = await startHub(t, { coap: { limits: { maxPayloadSize: 4096 } } })
  const dir = tempDir(t)
  writeFileSync(join(dir, 'big.bin'), randomBytes(6000))
  const cases: Array<[string, string[], string]> = [
    ['a wildcard in a publish path', ['-m', 'put', '-e', 'x', `${h.coap}/ps/a/%23`], '4.00'],
    ['a bad query value', ['-m', 'put', '-e', 'x', `${h.coap}/ps/a?qos=9`], '4.00'],
    ['an unknown critical option', ['-m', 'put', '-e', 'x', '-O', '2001,x', `${h.coap}/ps/a`], '4.02'],
    ['an oversized payload', ['-m', 'put', '-b', '1024', '-f', join(dir, 'big.bin'), `${h.coap}/ps/a`], '4.13'],
  ]
  for (const [name, args, code] of cases) {
    const { log } = await coap(args)
    assert.equal(responseCodes(log).at(-1), code, name)
  }
  // A datagram that is not CoAP: dropped and counted
  const socket = createSocket('udp4')
  t.after(() => socket.close())
  await new Promise<void>((resolve) => socket.send(Buffer.from('not coap at all'), portOf(h.hub, 'coap'), '127.0.0.1', () => resolve()))
  const ok = await coap(['-m', 'put', '-e', 'still here', `${h.coap}/ps/a`])
  assert.deepEqual(responseCodes(ok.log), ['2.04'])
  assert.ok(h.hub.ctx.stats.protocolErrors >= 1)
})
