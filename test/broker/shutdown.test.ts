import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'
import { clientId, connectClient, nextEvent } from './support.js'

test('stopping the hub sends 5.0 clients DISCONNECT 0x8B, closes 3.1.1 clients, keeps persistent sessions and publishes no will', async (t) => {
  const hub = await startTestHub()
  let closed = false
  t.after(() => (closed ? undefined : hub.close()))
  const id = clientId()
  const v5 = await connectClient(t, hub, { transport: 'tcp', protocolVersion: 5 }, {
    clientId: id,
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    will: { topic: 'wills/shutdown', payload: Buffer.from('x'), qos: 0, retain: true },
  })
  await v5.subscribeAsync('kept/#', { qos: 1 })
  const v4 = await connectClient(t, hub, { transport: 'ws', protocolVersion: 4 })
  const disconnect = nextEvent(v5, 'disconnect')
  const v4Closed = nextEvent(v4, 'close')
  await hub.close()
  closed = true
  assert.equal(((await disconnect)[0] as { reasonCode: number }).reasonCode, 0x8b)
  await v4Closed
  assert.deepEqual((await hub.ctx.sessions.get(id))?.subscriptions.map((s) => s.filter), ['kept/#'])
  assert.equal(await hub.ctx.retained.get('wills/shutdown'), undefined)
  assert.deepEqual(hub.listeners(), [])
})
