import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IDisconnectPacket } from 'mqtt-packet'
import { startTestHub } from '../helpers/hub.js'
import { connectClient, describeVariant, RawClient, VARIANTS } from './support.js'

for (const variant of VARIANTS) {
  test(`${describeVariant(variant)}: a client that pings within its keep alive stays connected [MQTT-3.1.2-23]`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const client = await connectClient(t, hub, variant, { keepalive: 1 })
    let pings = 0
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'pingresp') pings++
    })
    // Three keep alive periods: closing would have happened after 1.5 s without the PINGREQs
    await new Promise((r) => setTimeout(r, 3200))
    assert.equal(client.connected, true)
    assert.ok(pings >= 1, 'PINGRESP received')
  })
}

test('a raw client that stays silent is closed after 1.5 x keep alive, one that pings is not [MQTT-3.1.2-22]', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const silent = await RawClient.open(t, hub, 5)
  await silent.connect({ keepalive: 1 })
  const pinging = await RawClient.open(t, hub, 5)
  await pinging.connect({ keepalive: 1 })
  const timer = setInterval(() => pinging.send({ cmd: 'pingreq' }), 500)
  t.after(() => clearInterval(timer))
  assert.equal(((await silent.next('disconnect')) as IDisconnectPacket).reasonCode, 0x8d)
  await silent.waitClosed()
  await pinging.next('pingresp')
  assert.equal(pinging.closed, false)
})

test('keep alive 0 turns the timeout off (3.1.2.10)', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const raw = await RawClient.open(t, hub, 4)
  await raw.connect({ keepalive: 0 })
  await new Promise((r) => setTimeout(r, 2500))
  assert.equal(raw.closed, false)
})

test('an MQTT.js 5.0 client adopts the Server Keep Alive and stays connected', async (t) => {
  const hub = await startTestHub({ mqtt: { limits: { maxKeepAlive: 1 } } })
  t.after(() => hub.close())
  const client = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 }, { keepalive: 60 })
  await new Promise((r) => setTimeout(r, 2500))
  assert.equal(client.connected, true)
  assert.equal(hub.ctx.inspect.clients()[0]?.keepAlive, 1)
})
