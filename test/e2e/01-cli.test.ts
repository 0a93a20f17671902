import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import mqtt from 'mqtt'
import { runCli, spawnHub, type SpawnedHub } from '../helpers/spawn-hub.js'

/** The `junction` command as a user runs it: a child process, its banner, its exit codes and signals. */

/** A scratch folder removed after the test; also the working directory, so no ./config/junction.yaml is found. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-e2e-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Run a CLI command to its exit (killed after a generous safety timeout). */
function runToExit(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`junction ${args.join(' ')} did not exit within 30 s\n${stderr}`))
    }, 30_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Poll a condition (every 20 ms) until it holds; fail after a generous safety timeout. */
async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Start the hub in a scratch folder (embedded default config, SQLite under the scratch data dir). */
async function startHub(t: TestContext, env: Record<string, string> = {}): Promise<SpawnedHub> {
  const dir = scratch(t)
  const hub = await spawnHub({ cwd: dir, env: { JUNCTION_DATA_DIR: join(dir, 'data'), ...env } })
  t.after(() => hub.stop('SIGKILL'))
  return hub
}

test('the hub starts on its embedded default config with ports from the environment and lists every listener in its banner', async (t) => {
  const hub = await startHub(t)
  assert.match(hub.stderr(), /Junction \S+ ready \(config \S+config\/junction\.yaml\)/)
  for (const name of ['mqtt', 'ws', 'http', 'coap']) {
    assert.ok((hub.ports[name] ?? 0) > 0, `banner lists ${name}: ${hub.stderr()}`)
  }
  // the listeners the banner names accept clients: MQTT over TCP and over WebSocket on /mqtt
  for (const url of [`mqtt://127.0.0.1:${hub.ports.mqtt}`, `ws://127.0.0.1:${hub.ports.ws}/mqtt`]) {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000 })
    await client.endAsync()
  }
})

test('environment variables override the config file: ports, data directory and log level', async (t) => {
  const dir = scratch(t)
  // the embedded default logs at info: JSON lines of level 30 on stdout
  const probe = await startHub(t, { JUNCTION_LOG_LEVEL: 'info' })
  await waitUntil(() => probe.stdout().includes('"level":30'), 'info logs on stdout')
  const port = probe.ports.mqtt as number // a free port for the override: one the OS just gave
  assert.equal(await probe.stop('SIGTERM'), 0)

  const dataDir = join(dir, 'elsewhere')
  const hub = await startHub(t, { JUNCTION_MQTT_PORT: String(port), JUNCTION_DATA_DIR: dataDir, JUNCTION_LOG_LEVEL: 'warn' })
  assert.equal(hub.ports.mqtt, port)
  // the SQLite store of the embedded default lives in JUNCTION_DATA_DIR
  assert.ok(readdirSync(dataDir).length > 0, 'the store created its file in JUNCTION_DATA_DIR')
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: 'env-override' })
  await client.endAsync()
  assert.doesNotMatch(hub.stdout(), /"level":30/)
})

test('a bad environment override stops the start with exit code 1 and names the variable', async (t) => {
  const dir = scratch(t)
  const run = await runToExit(['start'], { cwd: dir, env: { JUNCTION_MQTT_PORT: 'eighty', JUNCTION_DATA_DIR: join(dir, 'data') } })
  assert.equal(run.code, 1)
  assert.match(run.stderr, /JUNCTION_MQTT_PORT/)
})

test('check-config accepts the embedded default config', async (t) => {
  const run = await runToExit(['check-config'], { cwd: scratch(t) })
  assert.equal(run.code, 0, run.stderr)
  assert.match(run.stdout, /config\/junction\.yaml: ok/)
})

test('check-config rejects a bad file with exit code 1 and a message naming the file and the key path', async (t) => {
  const dir = scratch(t)
  const file = join(dir, 'bad.yaml')
  writeFileSync(file, 'mqtt:\n  tcp:\n    port: "not a number"\n')
  const run = await runToExit(['check-config', file], { cwd: dir })
  assert.equal(run.code, 1)
  assert.match(run.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: mqtt\\.tcp\\.port: `))
})

test('check-config rejects an unknown key and invalid YAML, naming the file', async (t) => {
  const dir = scratch(t)
  const unknown = join(dir, 'unknown.yaml')
  writeFileSync(unknown, 'mqtt:\n  tpc: { port: 1883 }\n')
  const badYaml = join(dir, 'broken.yaml')
  writeFileSync(badYaml, 'mqtt: [unclosed\n')
  const first = await runToExit(['check-config', unknown], { cwd: dir })
  assert.equal(first.code, 1)
  assert.match(first.stderr, /unknown\.yaml: mqtt/)
  assert.match(first.stderr, /tpc/)
  const second = await runToExit(['check-config', badYaml], { cwd: dir })
  assert.equal(second.code, 1)
  assert.match(second.stderr, /broken\.yaml: invalid YAML/)
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} shuts the hub down gracefully with exit code 0 while MQTT clients are connected`, async (t) => {
    const hub = await startHub(t)
    const url = `mqtt://127.0.0.1:${hub.ports.mqtt}`
    const v5 = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `shutdown-v5-${signal}` })
    const v311 = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: `shutdown-v311-${signal}` })
    t.after(() => {
      v5.end(true)
      v311.end(true)
    })
    const disconnect = new Promise<number | undefined>((resolve) => v5.once('disconnect', (packet) => resolve(packet.reasonCode)))
    const closed = Promise.all([v5, v311].map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))))

    const code = await hub.stop(signal)
    assert.equal(code, 0, hub.stderr())
    assert.match(hub.stderr(), new RegExp(`${signal} received, shutting down`))
    // MQTT 5 §3.14.2.1: the 5.0 client is told why, DISCONNECT 0x8B Server shutting down; 3.1.1 has
    // no DISCONNECT from the server, so that connection is just closed
    assert.equal(await disconnect, 0x8b)
    await closed
  })
}

test('junction --help prints the commands and exits 0; an unknown command exits 1', async () => {
  const help = await runToExit(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /Usage: junction <command>/)
  assert.match(help.stdout, /start/)
  assert.match(help.stdout, /check-config/)
  const unknown = await runToExit(['frobnicate'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /unknown command "frobnicate"/)
})
