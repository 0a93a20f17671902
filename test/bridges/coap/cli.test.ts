import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnHub } from '../../helpers/spawn-hub.js'
import { coapClient } from './helpers.js'

test('junction start lists the CoAP listeners on IPv4 and IPv6 in its banner, and both answer', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-coap-cli-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const hub = await spawnHub({ env: { JUNCTION_DATA_DIR: dataDir } })
  t.after(() => hub.stop())
  const v4 = hub.ports.coap
  const v6 = hub.ports.coap6
  assert.ok(v4 && v6, `banner ports: ${JSON.stringify(hub.ports)}`)
  const put = await coapClient(t)({ hostname: '127.0.0.1', port: v4, method: 'PUT', pathname: '/ps/cli/state', query: 'retain=true' }, 'up')
  assert.equal(put.code, '2.04')
  const get = await coapClient(t, 'udp6')({ hostname: '::1', port: v6, pathname: '/ps/cli/state' })
  assert.equal(get.payload.toString(), 'up')
  assert.equal(await hub.stop(), 0)
})
