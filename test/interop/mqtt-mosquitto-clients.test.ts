import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { runTool, skipWithout, startTool, type RunningTool } from '../helpers/external-binary.js'
import { portOf, startTestHub } from '../helpers/hub.js'

/**
 * Interop with Eclipse Mosquitto's command-line clients (Debian `mosquitto-clients`): the hub runs in
 * process, mosquitto_pub and mosquitto_sub are separate processes talking to it over TCP.
 */

/** Every received message printed on one line: topic, QoS, retain flag, content type, response topic, user properties, payload. */
const FORMAT = 'MSG|%t|%q|%r|%C|%R|%P|%p'

interface Received {
  topic: string
  qos: number
  retain: boolean
  contentType: string
  responseTopic: string
  userProperties: string
  payload: string
}

function parseMessages(stdout: string): Received[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('MSG|'))
    .map((line) => {
      const [, topic = '', qos = '', retain = '', contentType = '', responseTopic = '', userProperties = '', ...payload] = line.split('|')
      return { topic, qos: Number(qos), retain: retain === '1', contentType, responseTopic, userProperties, payload: payload.join('|') }
    })
}

/** Skips (or in CI fails) a test when mosquitto-clients or coreutils' stdbuf are missing. */
function missingClients(t: TestContext): boolean {
  return skipWithout(t, 'mosquitto_sub') || skipWithout(t, 'mosquitto_pub') || skipWithout(t, 'stdbuf')
}

async function startHub(t: TestContext): Promise<number> {
  const hub = await startTestHub()
  t.after(() => hub.close())
  return portOf(hub, 'mqtt')
}

/**
 * mosquitto_sub in the background, returned once its SUBACK has arrived (`-d` prints it). Its stdout
 * is a pipe, which C stdio buffers fully: `stdbuf -oL` makes it line-buffered so lines arrive as printed.
 */
async function subscribe(t: TestContext, port: number, args: string[]): Promise<RunningTool> {
  const sub = startTool('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-d', '-W', '20', '-F', FORMAT, ...args])
  t.after(() => sub.kill())
  await sub.waitFor(/received SUBACK/)
  return sub
}

async function publish(port: number, args: string[]): Promise<void> {
  const result = await runTool('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...args])
  assert.equal(result.code, 0, `mosquitto_pub ${args.join(' ')} failed: ${result.stderr}`)
}

/** Wait for a `-C n` subscriber to exit by itself and return what it printed. */
async function received(sub: RunningTool): Promise<Received[]> {
  const code = await sub.exited(20_000)
  assert.equal(code, 0, `mosquitto_sub exited with ${code}: ${sub.stderr()}`)
  return parseMessages(sub.stdout())
}

for (const version of ['mqttv31', 'mqttv311', 'mqttv5']) {
  test(`mosquitto_pub and mosquitto_sub exchange messages at QoS 0, 1 and 2 over ${version}`, async (t) => {
    if (missingClients(t)) return
    const port = await startHub(t)
    for (const qos of [0, 1, 2]) {
      const topic = `interop/${version}/qos${qos}`
      const sub = await subscribe(t, port, ['-V', version, '-q', String(qos), '-C', '1', '-t', topic])
      // the publish and delivery flows of [MQTT-4.3.1] .. [MQTT-4.3.3] at each QoS
      await publish(port, ['-V', version, '-q', String(qos), '-t', topic, '-m', `hello at qos ${qos}`])
      const [message] = await received(sub)
      assert.deepEqual([message?.topic, message?.qos, message?.payload], [topic, qos, `hello at qos ${qos}`])
    }
  })
}

test('a QoS 2 subscription receives a QoS 1 publish at QoS 1 (the lower of the two)', async (t) => {
  if (missingClients(t)) return
  const port = await startHub(t)
  const sub = await subscribe(t, port, ['-q', '2', '-C', '1', '-t', 'interop/downgrade'])
  await publish(port, ['-q', '1', '-t', 'interop/downgrade', '-m', 'x'])
  const [message] = await received(sub)
  // [MQTT-3.8.4-6]: delivered at the minimum of the publish QoS and the granted QoS
  assert.equal(message?.qos, 1)
})

test('a retained message reaches a later mosquitto_sub with the retain flag, and an empty retained publish clears it', async (t) => {
  if (missingClients(t)) return
  const port = await startHub(t)
  await publish(port, ['-q', '1', '-r', '-t', 'interop/retained/state', '-m', 'on'])
  const late = await subscribe(t, port, ['-C', '1', '-t', 'interop/retained/#'])
  const [message] = await received(late)
  // [MQTT-3.3.1-6] a new subscription receives the retained message with RETAIN set [MQTT-3.3.1-8]
  assert.deepEqual([message?.topic, message?.retain, message?.payload], ['interop/retained/state', true, 'on'])

  // [MQTT-3.3.1-10] a zero-byte retained publish removes the retained message
  await publish(port, ['-q', '1', '-r', '-n', '-t', 'interop/retained/state'])
  const after = await runTool('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '--retained-only', '-W', '2', '-F', FORMAT, '-t', 'interop/retained/#'])
  assert.deepEqual(parseMessages(after.stdout), [])
})

test('MQTT 5 user properties, content type and response topic set with mosquitto_pub -D reach mosquitto_sub', async (t) => {
  if (missingClients(t)) return
  const port = await startHub(t)
  const sub = await subscribe(t, port, ['-V', 'mqttv5', '-q', '1', '-C', '1', '-t', 'interop/v5/props'])
  await publish(port, [
    '-V', 'mqttv5', '-q', '1', '-t', 'interop/v5/props', '-m', '{"t":21}',
    '-D', 'publish', 'user-property', 'room', 'kitchen',
    '-D', 'publish', 'content-type', 'application/json',
    '-D', 'publish', 'response-topic', 'interop/v5/replies',
  ])
  const [message] = await received(sub)
  // MQTT 5 §3.3.2.3.7: user properties are forwarded unaltered; §3.3.2.3.9 content type; §3.3.2.3.5 response topic
  assert.equal(message?.payload, '{"t":21}')
  assert.equal(message?.userProperties, 'room:kitchen')
  assert.equal(message?.contentType, 'application/json')
  assert.equal(message?.responseTopic, 'interop/v5/replies')
})

test('wildcard subscriptions with + and # receive the topics they match and no others', async (t) => {
  if (missingClients(t)) return
  const port = await startHub(t)
  const single = await subscribe(t, port, ['-C', '2', '-t', 'interop/home/+/temp'])
  const multi = await subscribe(t, port, ['-C', '3', '-t', 'interop/home/#'])
  // the non-matching topic for `+` goes first: if it leaked, `-C 2` would print it
  await publish(port, ['-t', 'interop/home/kitchen/humidity', '-m', '40'])
  await publish(port, ['-t', 'interop/home/kitchen/temp', '-m', '21'])
  await publish(port, ['-t', 'interop/home/hall/temp', '-m', '19'])
  // [MQTT-4.7.1-2] + matches exactly one level; [MQTT-4.7.1-1] # matches any number of levels
  assert.deepEqual((await received(single)).map((m) => m.topic), ['interop/home/kitchen/temp', 'interop/home/hall/temp'])
  assert.deepEqual((await received(multi)).map((m) => m.topic), ['interop/home/kitchen/humidity', 'interop/home/kitchen/temp', 'interop/home/hall/temp'])
})

test('mosquitto_sub reads $SYS/broker statistics, which a # subscription does not match', async (t) => {
  if (missingClients(t)) return
  const hub = await startTestHub({ mqtt: { sysInterval: 1 } })
  t.after(() => hub.close())
  const port = portOf(hub, 'mqtt')
  const everything = await subscribe(t, port, ['-t', '#'])
  // 3 messages: the 2 retained ones at once, then the uptime of the next refresh (1 s later), which `#` sees go by
  const sys = await subscribe(t, port, ['-C', '3', '-t', '$SYS/broker/uptime', '-t', '$SYS/broker/clients/connected'])
  const stats = await received(sys)
  // the statistics mosquitto itself publishes, under the same names
  assert.deepEqual([...new Set(stats.map((m) => m.topic))].sort(), ['$SYS/broker/clients/connected', '$SYS/broker/uptime'])
  assert.match(stats.find((m) => m.topic === '$SYS/broker/clients/connected')?.payload ?? '', /^\d+$/)
  assert.match(stats.find((m) => m.topic === '$SYS/broker/uptime')?.payload ?? '', /^\d+ seconds$/)
  // [MQTT-4.7.2-1] a filter starting with a wildcard does not match topics starting with $
  await publish(port, ['-t', 'interop/after-sys', '-m', 'x'])
  await everything.waitFor(/^MSG\|interop\/after-sys\|/m)
  assert.deepEqual(parseMessages(everything.stdout()).filter((m) => m.topic.startsWith('$')), [])
})

for (const version of ['mqttv311', 'mqttv5']) {
  test(`a persistent mosquitto_sub session (-c) gets the QoS 1 messages published while it was offline (${version})`, async (t) => {
    if (missingClients(t)) return
    const port = await startHub(t)
    const session = ['-h', '127.0.0.1', '-p', String(port), '-V', version, '-c', '-i', `interop-offline-${version}`, '-q', '1', '-t', 'interop/offline/#']
    // -E: subscribe, then disconnect at once, leaving the session behind
    const first = await runTool('mosquitto_sub', [...session, '-E'])
    assert.equal(first.code, 0, first.stderr)
    await publish(port, ['-V', version, '-q', '1', '-t', 'interop/offline/alarm', '-m', 'while you were away'])
    const back = await runTool('mosquitto_sub', [...session, '-C', '1', '-W', '10', '-F', FORMAT])
    assert.equal(back.code, 0, back.stderr)
    // [MQTT-3.1.2-5] a session that is not clean keeps QoS 1 messages for the disconnected client
    assert.deepEqual(
      parseMessages(back.stdout).map((m) => [m.topic, m.qos, m.payload]),
      [['interop/offline/alarm', 1, 'while you were away']],
    )
  })
}

for (const version of ['mqttv311', 'mqttv5']) {
  test(`the will of a mosquitto_pub killed without DISCONNECT is published (${version})`, async (t) => {
    if (missingClients(t)) return
    const port = await startHub(t)
    const sub = await subscribe(t, port, ['-V', version, '-q', '1', '-C', '1', '-t', 'interop/will/#'])
    // -l keeps mosquitto_pub connected, reading lines from stdin
    const device = startTool('stdbuf', ['-oL', 'mosquitto_pub',
      '-h', '127.0.0.1', '-p', String(port), '-V', version, '-d', '-l', '-t', 'interop/data',
      '--will-topic', 'interop/will/device-1', '--will-payload', 'offline', '--will-qos', '1',
    ])
    t.after(() => device.kill())
    await device.waitFor(/received CONNACK/)
    await device.kill('SIGKILL')
    // [MQTT-3.1.2-8] the will is published when the network connection closes without DISCONNECT
    const [message] = await received(sub)
    assert.deepEqual([message?.topic, message?.payload, message?.qos], ['interop/will/device-1', 'offline', 1])
  })
}
