import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import mqtt from 'mqtt'
import type { IConnackPacket } from 'mqtt-packet'
import type { Hooks } from '../../src/hooks.js'
import { createDefaultHooks } from '../../src/hooks.js'
import { startTestHub } from '../helpers/hub.js'
import { clientId, collect, connectClient, describeVariant, nextEvent, RawClient, urlOf, VARIANTS, within } from './support.js'

for (const variant of VARIANTS) {
  const name = describeVariant(variant)
  test(`${name}: a client connects, and client_connected / client_disconnected are emitted`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const connected = once(hub.ctx.events, 'client_connected')
    const id = clientId()
    const client = await connectClient(t, hub, variant, { clientId: id })
    const [event] = await within(connected)
    assert.equal(event.clientId, id)
    assert.equal(event.protocolVersion, variant.protocolVersion)
    assert.equal(hub.ctx.inspect.clients().length, 1)
    const disconnected = once(hub.ctx.events, 'client_disconnected')
    await client.endAsync()
    assert.equal((await within(disconnected))[0].clientId, id)
  })

  test(`${name}: a second connection with the same client id takes the session over [MQTT-3.1.4-3]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const id = clientId()
    const first = await connectClient(t, hub, variant, { clientId: id })
    const firstClosed = nextEvent(first, 'close')
    const firstDisconnect = variant.protocolVersion === 5 ? nextEvent(first, 'disconnect') : undefined
    const second = await connectClient(t, hub, variant, { clientId: id })
    await within(firstClosed)
    if (firstDisconnect) assert.equal(((await firstDisconnect)[0] as { reasonCode: number }).reasonCode, 0x8e)
    assert.equal(second.connected, true)
  })
}

test('MQTT 3.1 (MQIsdp) clients connect and exchange messages', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 3 } as const
  const sub = await connectClient(t, hub, variant, { protocolId: 'MQIsdp' })
  const pub = await connectClient(t, hub, variant, { protocolId: 'MQIsdp' })
  await sub.subscribeAsync('v31/#')
  const got = collect(sub, 1)
  await pub.publishAsync('v31/x', 'old')
  assert.equal((await got)[0]?.payload.toString(), 'old')
})

test('5.0: an empty client id gets an Assigned Client Identifier [MQTT-3.2.2-16]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  const connack = await raw.connect({ clientId: '' })
  assert.equal(connack.reasonCode, 0)
  assert.match(connack.properties?.assignedClientIdentifier ?? '', /^junction-/)
  assert.equal(connack.properties?.receiveMaximum, hub.config.mqtt.limits.maxInflight)
  assert.equal(connack.properties?.maximumPacketSize, hub.config.mqtt.limits.maxPacketSize)
})

test('3.1.1: an empty client id is accepted with clean session and refused without (return code 2) [MQTT-3.1.3-8]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const clean = await RawClient.open(t, hub, 4)
  assert.equal((await clean.connect({ clientId: '', clean: true })).returnCode, 0)
  const persistent = await RawClient.open(t, hub, 4)
  // mqtt-packet will not generate this CONNECT: 'MQTT', level 4, flags 0 (Clean Session 0), keep alive 0, empty id
  persistent.sendBytes([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0, 0, 0, 0, 0])
  assert.equal(((await persistent.next('connack')) as IConnackPacket).returnCode, 2)
  await persistent.waitClosed()
})

function denyingHooks(): Hooks {
  const hooks = createDefaultHooks()
  hooks.authenticate = (request) =>
    request.username === 'good' && request.password?.toString() === 'secret'
      ? { ok: true, identity: { protocol: 'mqtt', clientId: request.clientId, username: request.username, roles: [] } }
      : request.username === 'blocked'
        ? { ok: false, reason: 'not-authorized' }
        : { ok: false, reason: 'bad-credentials' }
  return hooks
}

for (const [version, badCode, notAuthorizedCode] of [
  [5, 0x86, 0x87],
  [4, 4, 5],
] as const) {
  test(`${version === 5 ? '5.0' : '3.1.1'}: bad credentials get ${badCode}, a refused user ${notAuthorizedCode} (5.0 §3.2.2.2, 3.1.1 §3.2.2.3)`, async (t) => {
    const hub = await startTestHub({}, { hooks: denyingHooks() })
    t.after(() => hub.close())
    const codeOf = (c: IConnackPacket): number | undefined => (version === 5 ? c.reasonCode : c.returnCode)
    const bad = await RawClient.open(t, hub, version)
    assert.equal(codeOf(await bad.connect({ username: 'good', password: Buffer.from('wrong') })), badCode)
    await bad.waitClosed()
    const blocked = await RawClient.open(t, hub, version)
    assert.equal(codeOf(await blocked.connect({ username: 'blocked', password: Buffer.from('x') })), notAuthorizedCode)
    const good = await RawClient.open(t, hub, version)
    assert.equal(codeOf(await good.connect({ username: 'good', password: Buffer.from('secret') })), 0)
  })
}

test('with allowAnonymous false a client without a username is refused (0x87 / 3.1.1 code 5)', async (t) => {
  const hub = await startTestHub({ auth: { allowAnonymous: false } })
  t.after(() => hub.close())
  const v5 = await RawClient.open(t, hub, 5)
  assert.equal((await v5.connect()).reasonCode, 0x87)
  const v4 = await RawClient.open(t, hub, 4)
  assert.equal((await v4.connect()).returnCode, 5)
})

test('limits.maxConnections refuses the next client with 0x97 Quota exceeded / 3.1.1 code 3', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxConnections: 1 } } })
  t.after(() => hub.close())
  const first = await RawClient.open(t, hub, 5)
  assert.equal((await first.connect()).reasonCode, 0)
  const v5 = await RawClient.open(t, hub, 5)
  assert.equal((await v5.connect()).reasonCode, 0x97)
  const v4 = await RawClient.open(t, hub, 4)
  assert.equal((await v4.connect()).returnCode, 3)
  assert.ok(hub.ctx.stats.limitBreaches >= 2)
})

test('5.0: limits.maxKeepAlive caps the keep alive and CONNACK carries Server Keep Alive [MQTT-3.2.2-21]', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxKeepAlive: 30 } } })
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 5)
  const connack = await raw.connect({ keepalive: 600 })
  assert.equal(connack.properties?.serverKeepAlive, 30)
})

test('an MQTT.js client refused by the hub reports the reason', async (t) => {
  const hub = await startTestHub({}, { hooks: denyingHooks() })
  t.after(() => hub.close())
  const client = mqtt.connect(urlOf(hub, 'tcp'), { protocolVersion: 5, reconnectPeriod: 0, username: 'x', password: 'y' })
  t.after(() => client.end(true))
  const [error] = (await nextEvent(client, 'error')) as [Error & { code?: number }]
  assert.equal(error.code, 0x86)
})

test('a CONNECT with an unsupported protocol level gets CONNACK return code 1 and is closed [MQTT-3.1.2-2]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 4)
  // 'MQTT', level 6, flags 2 (clean), keep alive 0, client id 'x'
  raw.sendBytes([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 2, 0, 0, 0, 1, 0x78])
  assert.equal(((await raw.next('connack')) as IConnackPacket).returnCode, 1)
  await raw.waitClosed()
})

test('a failing authenticate hook refuses with 0x80 / 3.1.1 code 3 and the hub keeps serving', async (t) => {
  const hooks = createDefaultHooks()
  hooks.authenticate = async (request) => {
    if (request.username === 'boom') throw new Error('user database unreachable')
    return { ok: true, identity: { protocol: 'mqtt', clientId: request.clientId, username: request.username, roles: [] } }
  }
  const hub = await startTestHub({}, { hooks })
  t.after(() => hub.close())
  const v5 = await RawClient.open(t, hub, 5)
  assert.equal((await v5.connect({ username: 'boom' })).reasonCode, 0x80)
  const v4 = await RawClient.open(t, hub, 4)
  assert.equal((await v4.connect({ username: 'boom' })).returnCode, 3)
  const fine = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 }, { username: 'fine' })
  assert.equal(fine.connected, true)
})
