import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { IClientOptions } from 'mqtt'
import { connectClient, durableHubFiles, exitOf, numbered, publishStream, startDurableHub, waitFor } from '../store/crash-harness.js'

const MESSAGES = 5000
/** The hub is killed once this many publishes of the stream were acknowledged. */
const KILL_AFTER = 2500

interface Scenario {
  qos: 1 | 2
  /** The subscriber's connect options: a session that outlives its connection. */
  subscriber: IClientOptions
}

/**
 * A persistent-session subscriber goes offline; a publisher streams 5,000 messages; the hub is killed
 * with SIGKILL halfway through the stream and restarted; the publisher sends what was not acknowledged
 * (under a new payload, so each payload is one publish); then the subscriber comes back.
 */
async function runKillScenario(t: TestContext, { qos, subscriber }: Scenario): Promise<{ received: string[]; acknowledged: Set<string> }> {
  const files = durableHubFiles(t)
  const topic = `crash/q${qos}`
  let hub = await startDurableHub(t, files)

  const sub = await connectClient(t, hub, subscriber)
  await sub.subscribeAsync(`${topic}/#`, { qos })
  await sub.endAsync()

  const pub = await connectClient(t, hub, { clientId: `crash-pub-q${qos}`, protocolVersion: 5 })
  const first = publishStream(pub, numbered(`${topic}/stream`, MESSAGES), {
    qos,
    onAck: (n) => {
      if (n === KILL_AFTER) hub.child.kill('SIGKILL')
    },
  })
  assert.equal((await exitOf(hub)).signal, 'SIGKILL', 'the hub died of SIGKILL')
  pub.end(true)
  const phase1 = await first
  assert.ok(phase1.acknowledged.size >= KILL_AFTER && phase1.acknowledged.size < MESSAGES, `killed mid-stream: ${phase1.acknowledged.size} acknowledged`)

  hub = await startDurableHub(t, files)
  const pub2 = await connectClient(t, hub, { clientId: `crash-pub-q${qos}`, protocolVersion: 5 })
  const retries = [...phase1.failed].map((p) => `${p}/retry`)
  const phase2 = await publishStream(pub2, retries.map((payload) => ({ topic: `${topic}/stream`, payload })), { qos })
  assert.equal(phase2.failed.size, 0)
  await pub2.publishAsync(`${topic}/end`, 'end', { qos })
  await pub2.endAsync()
  const acknowledged = new Set([...phase1.acknowledged, ...phase2.acknowledged])
  assert.equal(acknowledged.size, MESSAGES, 'every one of the 5,000 messages was acknowledged once')

  const received: string[] = []
  let sawEnd = false
  let check = () => undefined as void
  const back = await connectClient(t, hub, subscriber, (topicIn, payload) => {
    if (topicIn === `${topic}/end`) sawEnd = true
    else received.push(payload.toString())
    check()
  })
  assert.equal(back.sessionPresent, true, 'the session survived the kill')
  await waitFor('the end marker after the queued messages', () => sawEnd, (c) => (check = c))
  return { received, acknowledged }
}

function missing(acknowledged: Set<string>, received: string[]): string[] {
  const seen = new Set(received)
  return [...acknowledged].filter((p) => !seen.has(p))
}

test('a 3.1.1 persistent session receives every acknowledged QoS 1 message after a kill -9 mid-stream', { timeout: 180_000 }, async (t) => {
  const { received, acknowledged } = await runKillScenario(t, {
    qos: 1,
    subscriber: { clientId: 'crash-sub-q1', protocolVersion: 4, clean: false },
  })
  assert.deepEqual(missing(acknowledged, received), [])
})

test('a 5.0 persistent session receives every acknowledged QoS 2 message exactly once after a kill -9 mid-stream', { timeout: 180_000 }, async (t) => {
  const { received, acknowledged } = await runKillScenario(t, {
    qos: 2,
    subscriber: { clientId: 'crash-sub-q2', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } },
  })
  assert.deepEqual(missing(acknowledged, received), [])
  const counts = new Map<string, number>()
  for (const p of received) counts.set(p, (counts.get(p) ?? 0) + 1)
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no QoS 2 message delivered twice')
})

test('a 5.0 QoS 2 subscriber that is receiving when the hub is killed gets every acknowledged message exactly once', { timeout: 180_000 }, async (t) => {
  const files = durableHubFiles(t)
  const topic = 'crash/live'
  const subscriber: IClientOptions = { clientId: 'crash-sub-live', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } }
  let hub = await startDurableHub(t, files)
  const received: string[] = []
  let check = () => undefined as void
  const onMessage = (topicIn: string, payload: Buffer) => {
    received.push(topicIn === `${topic}/end` ? 'end' : payload.toString())
    check()
  }
  const sub = await connectClient(t, hub, subscriber, onMessage)
  await sub.subscribeAsync(`${topic}/#`, { qos: 2 })

  const pub = await connectClient(t, hub, { clientId: 'crash-pub-live', protocolVersion: 5 })
  const first = publishStream(pub, numbered(`${topic}/stream`, MESSAGES), { qos: 2 })
  await waitFor('half of the stream at the subscriber', () => received.length >= KILL_AFTER, (c) => (check = c))
  hub.child.kill('SIGKILL')
  assert.equal((await exitOf(hub)).signal, 'SIGKILL')
  pub.end(true)
  sub.end(true)
  const phase1 = await first

  hub = await startDurableHub(t, files)
  const pub2 = await connectClient(t, hub, { clientId: 'crash-pub-live', protocolVersion: 5 })
  const phase2 = await publishStream(pub2, [...phase1.failed].map((p) => ({ topic: `${topic}/stream`, payload: `${p}/retry` })), { qos: 2 })
  await pub2.publishAsync(`${topic}/end`, 'end', { qos: 2 })
  const back = await connectClient(t, hub, subscriber, onMessage)
  assert.equal(back.sessionPresent, true)
  await waitFor('the end marker', () => received.includes('end'), (c) => (check = c))

  const acknowledged = new Set([...phase1.acknowledged, ...phase2.acknowledged])
  assert.equal(acknowledged.size, MESSAGES)
  assert.deepEqual(missing(acknowledged, received), [])
  const counts = new Map<string, number>()
  for (const p of received) counts.set(p, (counts.get(p) ?? 0) + 1)
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no QoS 2 message delivered twice')
})

test('a QoS 2 publisher that resumes its session after the kill has every message delivered exactly once', { timeout: 180_000 }, async (t) => {
  const files = durableHubFiles(t)
  const topic = 'crash/resume'
  let hub = await startDurableHub(t, files)
  const port = String(hub.ports.mqtt)
  const subscriber: IClientOptions = { clientId: 'crash-sub-resume', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 } }
  const sub = await connectClient(t, hub, subscriber)
  await sub.subscribeAsync(`${topic}/#`, { qos: 2 })
  await sub.endAsync()

  // The publisher keeps its session and reconnects by itself: MQTT.js re-sends unacknowledged
  // PUBLISHes (DUP) and PUBRELs, which the restarted hub must recognise [MQTT-4.3.3-9].
  const pub = await connectClient(t, hub, { clientId: 'crash-pub-resume', protocolVersion: 5, clean: false, reconnectPeriod: 200, properties: { sessionExpiryInterval: 3600 } })
  let acknowledged = 0
  let next = 0
  const publishing = Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < MESSAGES) {
        const payload = String(next++)
        await pub.publishAsync(`${topic}/stream`, payload, { qos: 2 })
        if (++acknowledged === KILL_AFTER) hub.child.kill('SIGKILL')
      }
    }),
  )
  await waitFor('the kill', () => hub.child.signalCode !== null, (c) => hub.child.once('exit', c))
  hub = await startDurableHub(t, files, [], { JUNCTION_MQTT_PORT: port })
  await publishing
  await pub.publishAsync(`${topic}/end`, 'end', { qos: 2 })
  await pub.endAsync()

  const received: string[] = []
  let check = () => undefined as void
  const back = await connectClient(t, hub, subscriber, (topicIn, payload) => {
    received.push(topicIn === `${topic}/end` ? 'end' : payload.toString())
    check()
  })
  assert.equal(back.sessionPresent, true)
  await waitFor('the end marker', () => received.includes('end'), (c) => (check = c))
  const counts = new Map<string, number>()
  for (const p of received) counts.set(p, (counts.get(p) ?? 0) + 1)
  assert.equal(counts.size, MESSAGES + 1, 'every message arrived')
  assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'none twice')
})
