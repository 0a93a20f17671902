import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnHub } from '../../helpers/spawn-hub.js'

test('the hub started from the CLI serves the HTTP API on the port in its banner, and a 200 for a retained QoS 1 publish survives kill -9', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'junction-http-'))
  t.after(() => rm(dataDir, { recursive: true, force: true }))
  const hub = await spawnHub({ env: { JUNCTION_DATA_DIR: dataDir } })
  t.after(() => hub.stop())
  const port = hub.ports.http
  assert.ok(port !== undefined && port > 0, `no http listener in the banner: ${JSON.stringify(hub.ports)}`)
  const base = `http://127.0.0.1:${port}`
  assert.equal((await fetch(`${base}/readyz`)).status, 200)
  const published = await fetch(`${base}/api/v1/publish`, { method: 'POST', body: JSON.stringify({ topic: 'cli/state', payload: 'up', qos: 1, retain: true }) })
  assert.equal(published.status, 200)
  // The 200 came after the store accepted the message, so killing the process right away loses nothing.
  assert.equal(await hub.stop('SIGKILL'), null)

  const again = await spawnHub({ env: { JUNCTION_DATA_DIR: dataDir } })
  t.after(() => again.stop())
  const read = await fetch(`http://127.0.0.1:${again.ports.http}/api/v1/topics/cli/state`)
  assert.equal(read.status, 200)
  assert.equal(await read.text(), 'up')
  assert.equal(await again.stop(), 0)
})
