import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runTool, skipWithout, startTool } from '../helpers/external-binary.js'
import { spawnHub } from '../helpers/spawn-hub.js'

/**
 * The README's first steps with the hub as a process: start it on the embedded default config, then
 * mosquitto_sub and mosquitto_pub in two more "shells" exchange a message.
 */
test('a hub started on the default config lets mosquitto_sub and mosquitto_pub exchange a message', async (t) => {
  if (skipWithout(t, 'mosquitto_sub') || skipWithout(t, 'mosquitto_pub') || skipWithout(t, 'stdbuf')) return
  const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-newcomer-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const hub = await spawnHub({ cwd: dir, env: { JUNCTION_DATA_DIR: join(dir, 'data') } })
  t.after(() => hub.stop('SIGKILL'))
  const port = String(hub.ports.mqtt)

  // stdbuf -oL: mosquitto_sub's stdout is a pipe here, which C stdio would otherwise buffer
  const sub = startTool('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', port, '-t', 'demo/#', '-v', '-d', '-C', '1', '-W', '20'])
  t.after(() => sub.kill())
  await sub.waitFor(/received SUBACK/)
  const pub = await runTool('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', 'demo/hello', '-m', 'hello'])
  assert.equal(pub.code, 0, pub.stderr)
  assert.equal(await sub.exited(20_000), 0, sub.stderr())
  assert.match(sub.stdout(), /^demo\/hello hello$/m)
  assert.equal(await hub.stop('SIGTERM'), 0)
})
