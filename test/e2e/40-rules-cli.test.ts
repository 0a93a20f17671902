import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import mqtt from 'mqtt'
import { waitFor } from '../rules/helpers.js'
import { spawnHub } from '../helpers/spawn-hub.js'

/**
 * The hub as a process, the way an operator runs it: a config file naming a rule file relative to its
 * own folder; an HTTP publish is turned into an MQTT alert; a bad rule file stops the start with the reason.
 */
test('a hub process loads the rule file its config names, relative to the config folder, and runs it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-rules-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'junction.yaml'), 'storage: { driver: memory }\nmqtt: { sysInterval: 0 }\nrules:\n  files: [rules.yaml]\n')
  writeFileSync(join(dir, 'rules.yaml'), '- id: overheat\n  sql: SELECT payload.temp AS temp, topic(2) AS room FROM "sensors/+/temp" WHERE payload.temp > 30\n  actions:\n    - republish: { topic: "alerts/${room}", qos: 1 }\n')
  const hub = await spawnHub({ args: ['--config', join(dir, 'junction.yaml')], cwd: dir })
  t.after(() => hub.stop('SIGKILL'))

  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.ports.mqtt}`, { reconnectPeriod: 0 })
  t.after(() => client.endAsync(true))
  const received: string[] = []
  client.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`))
  await client.subscribeAsync('alerts/#', { qos: 1 })
  for (const temp of [20, 31]) {
    const response = await fetch(`http://127.0.0.1:${hub.ports.http}/api/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'sensors/kitchen/temp', payload: { temp } }) })
    assert.equal(response.status, 200)
  }
  await waitFor('the alert', () => received[0])
  assert.deepEqual(received, ['alerts/kitchen {"temp":31,"room":"kitchen"}'])
  await client.endAsync()
  assert.equal(await hub.stop('SIGTERM'), 0)
})

test('a hub process with a bad rule file does not start and names the file, rule and key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-rules-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'junction.yaml'), 'storage: { driver: memory }\nrules:\n  files: [rules.yaml]\n')
  writeFileSync(join(dir, 'rules.yaml'), '- id: broken\n  sql: SELECT * FROM "t"\n  actions: [{ republish: { topic: x, qos: 7 } }]\n')
  await assert.rejects(spawnHub({ args: ['--config', join(dir, 'junction.yaml')], cwd: dir }), /rules\.yaml: rule "broken": actions\.0\.republish\.qos/)
})
