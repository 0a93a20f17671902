import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { DEFAULT_CONFIG_FILE, loadConfig, resolveConfigFile } from '../../../src/config/load.js'
import { isHubError } from '../../../src/errors.js'

function writeTemp(t: TestContext, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

function configError(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(isHubError(error, 'HUB_ERR_CONFIG_INVALID'), `expected a config error, got ${String(error)}`)
    return error.message
  }
  assert.fail('expected the config to be rejected')
}

describe('configuration', () => {
  it('the embedded default listens on loopback with the documented ports', () => {
    const { config } = loadConfig(DEFAULT_CONFIG_FILE, {})
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.mqtt.tcp.port, 1883)
    assert.equal(config.mqtt.ws.port, 8083)
    assert.equal(config.mqtt.ws.path, '/mqtt')
    assert.equal(config.http.port, 8080)
    assert.equal(config.coap.port, 5683)
    assert.equal(config.storage.driver, 'sqlite')
    assert.equal(config.storage.dataDir, './data')
    assert.equal(config.auth.allowAnonymous, 'loopback')
  })

  it('an empty file is a valid config with every default filled in', (t) => {
    const { config } = loadConfig(writeTemp(t, 'empty.yaml', ''), {})
    assert.equal(config.mqtt.tcp.port, 1883)
    assert.equal(config.mqtt.limits.maxInflight > 0, true)
  })

  it('environment variables override single keys', (t) => {
    const file = writeTemp(t, 'junction.yaml', 'mqtt:\n  tcp: { port: 1999 }\n')
    const { config } = loadConfig(file, {
      JUNCTION_HOST: '::1',
      JUNCTION_MQTT_PORT: '2883',
      JUNCTION_WS_PORT: '0',
      JUNCTION_HTTP_PORT: '9080',
      JUNCTION_COAP_PORT: '6683',
      JUNCTION_DATA_DIR: '/tmp/jd',
      JUNCTION_LOG_LEVEL: 'debug',
    })
    assert.equal(config.host, '::1')
    assert.equal(config.mqtt.tcp.port, 2883)
    assert.equal(config.mqtt.ws.port, 0)
    assert.equal(config.http.port, 9080)
    assert.equal(config.coap.port, 6683)
    assert.equal(config.storage.dataDir, '/tmp/jd')
    assert.equal(config.log.level, 'debug')
  })

  it('a bad value names the file, the key path and what was expected', (t) => {
    const file = writeTemp(t, 'bad.yaml', 'mqtt:\n  tcp:\n    port: "eighteen"\n')
    const message = configError(() => loadConfig(file, {}))
    assert.match(message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: mqtt\\.tcp\\.port: .*expected number`))
  })

  it('an unknown key is rejected by name', (t) => {
    const file = writeTemp(t, 'typo.yaml', 'mqtt:\n  tpc: { port: 1883 }\n')
    assert.match(configError(() => loadConfig(file, {})), /mqtt: .*tpc/)
  })

  it('an out-of-range environment port names the variable', (t) => {
    const file = writeTemp(t, 'ok.yaml', '')
    assert.match(configError(() => loadConfig(file, { JUNCTION_MQTT_PORT: '70000' })), /JUNCTION_MQTT_PORT: expected a port number/)
  })

  it('invalid YAML and a non-mapping top level are reported with the file name', (t) => {
    const broken = writeTemp(t, 'broken.yaml', 'mqtt: [unclosed\n')
    assert.match(configError(() => loadConfig(broken, {})), /broken\.yaml: invalid YAML/)
    const list = writeTemp(t, 'list.yaml', '- a\n- b\n')
    assert.match(configError(() => loadConfig(list, {})), /list\.yaml: the top level must be a mapping/)
  })

  it('a missing file is reported with its path', () => {
    assert.match(configError(() => loadConfig('/nonexistent/junction.yaml', {})), /\/nonexistent\/junction\.yaml: cannot read/)
  })

  it('the config file is found from --config, then JUNCTION_CONFIG, then ./config, then the embedded default', () => {
    assert.equal(resolveConfigFile('my.yaml', {}, '/srv'), '/srv/my.yaml')
    assert.equal(resolveConfigFile(undefined, { JUNCTION_CONFIG: '/etc/j.yaml' }, '/srv'), '/etc/j.yaml')
    assert.equal(resolveConfigFile(undefined, {}, '/nonexistent-dir'), DEFAULT_CONFIG_FILE)
  })
})
