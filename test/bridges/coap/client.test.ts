import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { createServer, type IncomingMessage, type OutgoingMessage, type Server } from 'coap'
import { startTestHub } from '../../helpers/hub.js'

/** A device: the `coap` package's own server, recording what it receives. */
async function startDevice(t: TestContext, type: 'udp4' | 'udp6', handle: (req: IncomingMessage, res: OutgoingMessage) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ type }, handle)
  await new Promise<void>((resolve, reject) => server.listen(0, type === 'udp4' ? '127.0.0.1' : '::1', (error?: Error) => (error ? reject(error) : resolve())))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const sock = (server as unknown as { _sock: { address(): { port: number } } })._sock
  return { server, port: sock.address().port }
}

test('the coap.request service PUTs to a device over IPv4 and returns its response', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const seen: Array<{ method: string; url: string; payload: string; format: unknown }> = []
  const device = await startDevice(t, 'udp4', (req, res) => {
    seen.push({ method: req.method, url: req.url, payload: req.payload.toString(), format: req.headers['Content-Format'] })
    res.code = '2.04'
    res.setOption('Content-Format', 'application/json')
    res.end('{"ok":true}')
  })
  const request = hub.ctx.services.get('coap.request')
  assert.ok(request, 'the bridge offers coap.request')
  const response = await request({ url: `coap://127.0.0.1:${device.port}/fan/speed?x=1`, method: 'PUT', payload: Buffer.from('on'), contentFormat: 0 })
  assert.equal(response.code, '2.04')
  assert.equal(response.payload.toString(), '{"ok":true}')
  assert.equal(response.contentFormat, 50)
  assert.deepEqual(seen, [{ method: 'PUT', url: '/fan/speed?x=1', payload: 'on', format: 'text/plain' }])
})

test('the coap.request service sends a 16 KB payload block-wise to an IPv6 device', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  let received: Buffer | undefined
  const device = await startDevice(t, 'udp6', (req, res) => {
    received = req.payload
    res.code = '2.04'
    res.end()
  })
  const payload = randomBytes(16 * 1024)
  const response = await hub.ctx.services.get('coap.request')!({ url: `coap://[::1]:${device.port}/blob`, method: 'POST', payload })
  assert.equal(response.code, '2.04')
  assert.deepEqual(received, payload)
})

test('the coap.request service rejects when the device does not answer in time, and refuses coaps URLs', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const request = hub.ctx.services.get('coap.request')!
  // A bound socket that never answers
  const { createSocket } = await import('node:dgram')
  const silent = createSocket('udp4')
  silent.bind(0, '127.0.0.1')
  await once(silent, 'listening')
  t.after(() => silent.close())
  await assert.rejects(request({ url: `coap://127.0.0.1:${silent.address().port}/x`, method: 'GET', timeoutMs: 300 }), /no response within 300 ms/)
  await assert.rejects(request({ url: 'coaps://127.0.0.1/x', method: 'GET' }), /only coap:\/\//)
})
