import { repoFile } from '../helpers/paths.js'
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { pythonHasModule, runTool, skipWithout } from '../helpers/external-binary.js'
import { portOf, startTestHub } from '../helpers/hub.js'

/**
 * Interop with Eclipse Paho's Python client (Debian python3-paho-mqtt). Debian installs it for the
 * system interpreter only, so the script runs with /usr/bin/python3, not the first python3 on PATH.
 */
const PYTHON = '/usr/bin/python3'
// the script stays in test/interop/ (tsc does not copy it to dist/): from dist/test/interop, go back up
const SCRIPT = repoFile('test/interop/paho-client.py')

interface PahoResult {
  subConnack: { reasonCode: number; properties: Record<string, unknown> }
  pubConnack: { reasonCode: number }
  subscribeReasonCodes: number[]
  messages: Array<{
    topic: string
    qos: number
    payload: string
    userProperties: Array<[string, string]>
    contentType: string | null
    responseTopic: string | null
    correlationData: string
  }>
}

/** Run the Paho script (test/interop/paho-client.py) against a port with a protocol level. */
async function runPaho(port: number, protocol: '5' | '311' | '31'): Promise<PahoResult> {
  const run = await runTool(PYTHON, [SCRIPT, '127.0.0.1', String(port), `interop/paho${protocol}`, protocol], { timeoutMs: 30_000 })
  assert.equal(run.code, 0, `paho client failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as PahoResult
}

function missingPaho(t: TestContext): boolean {
  return skipWithout(t, PYTHON, 'python3-paho-mqtt is not installed for /usr/bin/python3', () => pythonHasModule(PYTHON, 'paho.mqtt.client'))
}

test('paho-mqtt connects with MQTT 5, subscribes at QoS 2 and receives QoS 1 and 2 publishes with their properties', async (t) => {
  if (missingPaho(t)) return
  const hub = await startTestHub()
  t.after(() => hub.close())

  const result = await runPaho(portOf(hub, 'mqtt'), '5')

  // MQTT 5 §3.2.2.2: CONNACK reason code 0 (Success) for both clients
  assert.equal(result.subConnack.reasonCode, 0)
  assert.equal(result.pubConnack.reasonCode, 0)
  // MQTT 5 §3.9.3: SUBACK grants QoS 2 (reason code 2)
  assert.deepEqual(result.subscribeReasonCodes, [2])
  assert.deepEqual(
    result.messages.map((m) => [m.topic, m.qos, m.payload]),
    [
      ['interop/paho5/qos1', 1, '{"qos": 1}'],
      ['interop/paho5/qos2', 2, '{"qos": 2}'],
    ],
  )
  for (const message of result.messages) {
    // [MQTT-3.3.2-17] user properties forwarded in order; [MQTT-3.3.2-20] content type unaltered;
    // §3.3.2.3.5 / §3.3.2.3.6 response topic and correlation data passed through
    assert.deepEqual(message.userProperties, [
      ['sensor', 'paho'],
      ['unit', 'C'],
    ])
    assert.equal(message.contentType, 'application/json')
    assert.equal(message.responseTopic, 'interop/paho5-replies/1')
    assert.equal(message.correlationData, 'req-42')
  }
})

for (const protocol of ['311', '31'] as const) {
  test(`paho-mqtt connects with MQTT ${protocol === '311' ? '3.1.1' : '3.1'}, subscribes at QoS 2 and receives QoS 1 and 2 publishes`, async (t) => {
    if (missingPaho(t)) return
    const hub = await startTestHub()
    t.after(() => hub.close())
    const result = await runPaho(portOf(hub, 'mqtt'), protocol)
    // 3.1.1 §3.2.2.3 return code 0 (accepted); §3.9.3 SUBACK grants QoS 2
    assert.equal(result.subConnack.reasonCode, 0)
    assert.equal(result.pubConnack.reasonCode, 0)
    assert.deepEqual(result.subscribeReasonCodes, [2])
    assert.deepEqual(
      result.messages.map((m) => [m.topic, m.qos, m.payload]),
      [
        [`interop/paho${protocol}/qos1`, 1, '{"qos": 1}'],
        [`interop/paho${protocol}/qos2`, 2, '{"qos": 2}'],
      ],
    )
  })
}
