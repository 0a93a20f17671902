import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { test } from 'node:test'
import { resolveCoapHosts } from '../../../bridges/coap/index.js'
import { createTestHub, startTestHub } from '../../helpers/hub.js'

test('the default bind addresses are the host and its twin of the other family, the twin optional', () => {
  const table: Array<[{ host?: string; hosts?: string[] }, string, Array<{ host: string; required: boolean }>]> = [
    [{}, '127.0.0.1', [{ host: '127.0.0.1', required: true }, { host: '::1', required: false }]],
    [{}, 'localhost', [{ host: '127.0.0.1', required: true }, { host: '::1', required: false }]],
    [{}, '0.0.0.0', [{ host: '0.0.0.0', required: true }, { host: '::', required: false }]],
    [{ host: '::1' }, '127.0.0.1', [{ host: '::1', required: true }, { host: '127.0.0.1', required: false }]],
    [{ host: '192.0.2.7' }, '127.0.0.1', [{ host: '192.0.2.7', required: true }]],
    [{ hosts: ['127.0.0.1'] }, '0.0.0.0', [{ host: '127.0.0.1', required: true }]],
  ]
  for (const [config, hubHost, expected] of table) assert.deepEqual(resolveCoapHosts(config, hubHost), expected, JSON.stringify(config))
})

test('coap.hosts binds exactly the listed addresses', async (t) => {
  const hub = await startTestHub({ coap: { hosts: ['127.0.0.1'] } })
  t.after(() => hub.close())
  assert.deepEqual(hub.listeners().filter((l) => l.name.startsWith('coap')).map((l) => l.name), ['coap'])
})

test('a port that is taken fails the start naming the address, and leaves no CoAP metrics behind', async (t) => {
  const taken = createSocket('udp4')
  taken.bind(0, '127.0.0.1')
  await once(taken, 'listening')
  t.after(() => taken.close())
  const port = taken.address().port
  const hub = await createTestHub({ http: { enabled: false }, rules: { enabled: false }, coap: { hosts: ['127.0.0.1'], port } })
  t.after(() => hub.close())
  await assert.rejects(hub.start(), new RegExp(`cannot bind UDP 127\\.0\\.0\\.1:${port}`))
  assert.equal(hub.ctx.metrics.getSingleMetric('junction_coap_malformed_datagrams_total'), undefined)
})
