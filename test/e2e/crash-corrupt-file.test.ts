import assert from 'node:assert/strict'
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runCli } from '../helpers/spawn-hub.js'
import { connectClient, durableHubFiles, exitOf, startDurableHub, waitFor, type DurableHubFiles } from '../store/crash-harness.js'

/** Start a hub, leave a retained message in its file, stop it cleanly and write garbage over the file's header. */
async function damagedHub(t: Parameters<typeof durableHubFiles>[0]): Promise<{ files: DurableHubFiles; file: string }> {
  const files = durableHubFiles(t)
  const hub = await startDurableHub(t, files)
  const client = await connectClient(t, hub, { clientId: 'corrupt-writer', protocolVersion: 5 })
  await client.publishAsync('kept', 'value', { qos: 1, retain: true })
  await client.endAsync()
  assert.equal(await hub.stop('SIGTERM'), 0)
  const file = join(files.dataDir, 'junction.db')
  const fd = openSync(file, 'r+')
  writeSync(fd, Buffer.from('this is not what SQLite wrote here'.repeat(4)), 0, 136, 0)
  closeSync(fd)
  return { files, file }
}

test('the hub refuses to start on a damaged database file, naming the file, and exits 1', { timeout: 60_000 }, async (t) => {
  const { files, file } = await damagedHub(t)
  const child = runCli(['start', '--config', files.configFile], {
    env: { JUNCTION_DATA_DIR: files.dataDir, JUNCTION_MQTT_PORT: '0', JUNCTION_WS_PORT: '0', JUNCTION_LOG_LEVEL: 'warn' },
  })
  t.after(() => child.kill('SIGKILL'))
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const { code } = await exitOf({ child })
  assert.equal(code, 1, stderr)
  assert.ok(stderr.includes(file), `the message names ${file}: ${stderr}`)
  assert.match(stderr, /damaged or not a database/)
  assert.match(stderr, /--recover/)
  assert.doesNotMatch(stderr, / ready \(config /, 'no listener was opened')
  assert.ok(existsSync(file), 'the file is left in place')
  assert.deepEqual(readdirSync(files.dataDir).filter((n) => n.includes('corrupt')), [])
})

test('junction start --recover moves the damaged file aside, says so at error level and starts empty', { timeout: 60_000 }, async (t) => {
  const { files } = await damagedHub(t)
  const hub = await startDurableHub(t, files, ['--recover'])
  const aside = readdirSync(files.dataDir).filter((n) => /^junction\.db\.corrupt-[\dTZ-]+$/.test(n))
  assert.equal(aside.length, 1, readdirSync(files.dataDir).join(', '))

  const got: string[] = []
  let check = () => undefined as void
  const client = await connectClient(t, hub, { clientId: 'corrupt-reader', protocolVersion: 5 }, (topic) => {
    got.push(topic)
    check()
  })
  await client.subscribeAsync('#', { qos: 1 })
  await client.publishAsync('marker', 'm', { qos: 1 })
  await waitFor('the marker', () => got.includes('marker'), (c) => (check = c))
  assert.deepEqual(got, ['marker'], 'the new store is empty: the old retained message is not there')

  assert.equal(await hub.stop('SIGTERM'), 0)
  const logged = hub
    .stdout()
    .split('\n')
    .filter((l) => l.includes('moved it aside'))
    .map((l) => JSON.parse(l) as { level: number; movedTo: string; file: string })
  assert.equal(logged.length, 1, hub.stdout())
  assert.equal(logged[0]?.level, 50)
  assert.equal(logged[0]?.movedTo, join(files.dataDir, aside[0] as string))
})
