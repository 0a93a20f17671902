import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { connectClient, durableHubFiles, exitOf, numbered, publishStream, startDurableHub, waitFor } from '../store/crash-harness.js'

const TOPICS = 500

test('retained messages acknowledged before a kill -9 are there after the restart', { timeout: 120_000 }, async (t) => {
  const files = durableHubFiles(t)
  let hub = await startDurableHub(t, files)
  const pub = await connectClient(t, hub, { clientId: 'ret-pub', protocolVersion: 5 })
  for (let i = 0; i < TOPICS; i++) await pub.publishAsync(`ret/${i}`, `v1-${i}`, { qos: 1, retain: true })
  // cleared with an empty payload [MQTT-3.3.1-6], and one that expires during the downtime
  for (let i = 0; i < 10; i++) await pub.publishAsync(`ret/${i}`, '', { qos: 1, retain: true })
  await pub.publishAsync('ret/short-lived', 'gone soon', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } })

  // a second stream of updates, killed halfway
  const stream = publishStream(
    pub,
    Array.from({ length: TOPICS - 10 }, (_, k) => ({ topic: `ret/${k + 10}`, payload: `v2-${k + 10}` })),
    { qos: 1, retain: true, window: 20, onAck: (n) => n === 200 && hub.child.kill('SIGKILL') },
  )
  assert.equal((await exitOf(hub)).signal, 'SIGKILL')
  pub.end(true) // MQTT.js keeps unacknowledged publishes for a reconnect; this fails them
  const updates = await stream
  assert.ok(updates.acknowledged.size >= 200 && updates.acknowledged.size < TOPICS - 10, `killed mid-stream after ${updates.acknowledged.size} updates`)
  await sleep(1500) // downtime longer than the short-lived message's expiry

  hub = await startDurableHub(t, files)
  const retained = new Map<string, string>()
  let check = () => undefined as void
  const reader = await connectClient(t, hub, { clientId: 'ret-reader', protocolVersion: 5 }, (topic, payload) => {
    retained.set(topic, payload.toString())
    check()
  })
  await reader.subscribeAsync('ret/#', { qos: 1 })
  await waitFor(`${TOPICS - 10} retained messages`, () => retained.size >= TOPICS - 10, (c) => (check = c))
  // the marker: delivered after the retained burst, so nothing else is on its way
  await reader.subscribeAsync('marker', { qos: 1 })
  await reader.publishAsync('marker', 'm', { qos: 1 })
  await waitFor('the marker', () => retained.has('marker'), (c) => (check = c))
  retained.delete('marker')

  for (let i = 0; i < 10; i++) assert.equal(retained.has(`ret/${i}`), false, `ret/${i} stays cleared`)
  assert.equal(retained.has('ret/short-lived'), false, 'a retained message whose expiry passed while the hub was down is gone')
  for (let i = 10; i < TOPICS; i++) {
    const topic = `ret/${i}`
    const got = retained.get(topic)
    // an acknowledged update is there; an unacknowledged one may or may not be
    if (updates.acknowledged.has(`v2-${i}`)) assert.equal(got, `v2-${i}`, topic)
    else assert.ok(got === `v1-${i}` || got === `v2-${i}`, `${topic}: ${got}`)
  }
  assert.equal(retained.size, TOPICS - 10)
})

test('session expiry counts the downtime after a kill -9; longer sessions and their queues survive', { timeout: 120_000 }, async (t) => {
  const files = durableHubFiles(t)
  let hub = await startDurableHub(t, files)
  const short = await connectClient(t, hub, { clientId: 'exp-short', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 1 } })
  await short.subscribeAsync('exp/#', { qos: 1 })
  await short.endAsync()
  const long = await connectClient(t, hub, { clientId: 'exp-long', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } })
  await long.subscribeAsync('exp/#', { qos: 1 })
  await long.endAsync()
  // connected when the hub dies: its session outlives the connection the kill cuts
  const online = await connectClient(t, hub, { clientId: 'exp-online', protocolVersion: 4, clean: false })
  await online.subscribeAsync('exp/#', { qos: 1 })

  const pub = await connectClient(t, hub, { clientId: 'exp-pub', protocolVersion: 5 })
  const sent = await publishStream(pub, numbered('exp/data', 100), { qos: 1 })
  assert.equal(sent.acknowledged.size, 100)
  hub.child.kill('SIGKILL')
  assert.equal((await exitOf(hub)).signal, 'SIGKILL')
  await sleep(1500) // downtime longer than exp-short's Session Expiry Interval

  hub = await startDurableHub(t, files)
  const shortBack = await connectClient(t, hub, { clientId: 'exp-short', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 1 } })
  assert.equal(shortBack.sessionPresent, false, 'the 1 s session expired while the hub was down')

  const received: string[] = []
  let check = () => undefined as void
  const longBack = await connectClient(t, hub, { clientId: 'exp-long', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } }, (_topic, payload) => {
    received.push(payload.toString())
    check()
  })
  assert.equal(longBack.sessionPresent, true)
  await waitFor('the 100 queued messages', () => new Set(received).size === 100, (c) => (check = c))

  const onlineBack = await connectClient(t, hub, { clientId: 'exp-online', protocolVersion: 4, clean: false })
  assert.equal(onlineBack.sessionPresent, true, 'the session cut off by the kill is still there')
})
