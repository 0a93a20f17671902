import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Hooks } from '../../../src/hooks.js'
import type { Message } from '../../../src/message.js'
import { compileResources } from '../../../bridges/coap/resources.js'
import { startTestHub } from '../../helpers/hub.js'
import { coapAddresses, coapClient, observe } from './helpers.js'

const resources = [
  { path: 'sensors/{device}/temp', topic: 'devices/{device}/temperature', rt: 'temperature-c', ct: 0 },
  { path: 'fan', topic: 'actuators/fan' },
]

test('/.well-known/core lists ps and every mapped resource in link format, and filters by rt', async (t) => {
  const hub = await startTestHub({ coap: { resources } })
  t.after(() => hub.close())
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const res = await send({ hostname: v4.host, port: v4.port, pathname: '/.well-known/core' })
  assert.equal(res.code, '2.05')
  assert.equal(res.headers['Content-Format'], 'application/link-format')
  const body = res.payload.toString()
  assert.match(body, /<\/ps>;rt="core.ps";obs/)
  assert.match(body, /<\/sensors\/\{device\}\/temp>;rt="temperature-c";obs;title="devices\/\{device\}\/temperature";ct=0/)
  assert.match(body, /<\/fan>;rt="junction.mapped"/)
  const filtered = await send({ hostname: v4.host, port: v4.port, pathname: '/.well-known/core', query: 'rt=temp*' })
  assert.equal(filtered.payload.toString().split(',').length, 1)
})

test('a mapped resource publishes to, reads and observes its topic with the captured segment', async (t) => {
  const hub = await startTestHub({ coap: { resources } })
  t.after(() => hub.close())
  const received: Message[] = []
  hub.ctx.subscribe('devices/+/temperature', (m) => {
    received.push(m)
  })
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const put = await send({ hostname: v4.host, port: v4.port, method: 'PUT', pathname: '/sensors/d42/temp', query: 'retain=1', contentFormat: 'text/plain' }, '21.5')
  assert.equal(put.code, '2.04')
  assert.equal(received[0]?.topic, 'devices/d42/temperature')
  assert.equal(received[0]?.properties.contentType, 'text/plain;charset=utf-8')
  const get = await send({ hostname: v4.host, port: v4.port, pathname: '/sensors/d42/temp' })
  assert.equal(get.payload.toString(), '21.5')
  const stream = await observe(t, { hostname: v4.host, port: v4.port, pathname: '/fan' })
  const next = new Promise<string>((resolve) => stream.on('data', (d: Buffer) => d.length > 0 && resolve(d.toString())))
  await hub.ctx.publish({ topic: 'actuators/fan', payload: Buffer.from('on') }, { protocol: 'system' })
  assert.equal(await next, 'on')
})

test('a mapping whose topic uses a name its path does not capture, or that hides ps, is a config error', () => {
  assert.throws(() => compileResources([{ path: 'a/{x}', topic: 'b/{y}' }]), { code: 'HUB_ERR_CONFIG_INVALID', message: /does not capture/ })
  assert.throws(() => compileResources([{ path: 'ps/{x}', topic: 'b/{x}' }]), { code: 'HUB_ERR_CONFIG_INVALID', message: /hide the built-in/ })
})

test('credentials in the query go to the authenticate hook; bad ones get 4.01, denied topics 4.03, and the origin names the user', async (t) => {
  const seen: Array<{ username?: string; password?: string; token?: string; protocol: string }> = []
  const hooks: Hooks = {
    authenticate: (request) => {
      seen.push({ protocol: request.protocol, username: request.username, password: request.password?.toString(), token: request.token })
      if (request.token === 'good' || (request.username === 'alice' && request.password?.toString() === 's3cret')) {
        return { ok: true, identity: { protocol: request.protocol, username: request.username ?? 'token-user', roles: [] } }
      }
      return { ok: false, reason: 'bad-credentials' }
    },
    authorizePublish: (identity, topic) => topic.startsWith(`users/${identity.username}/`),
    authorizeSubscribe: (identity, filter) => filter.startsWith(`users/${identity.username}/`),
  }
  const hub = await startTestHub({}, { hooks })
  t.after(() => hub.close())
  const received: Message[] = []
  hub.ctx.subscribe('users/#', (m) => {
    received.push(m)
  })
  const { v4 } = coapAddresses(hub)
  const send = coapClient(t)
  const base = { hostname: v4.host, port: v4.port, method: 'PUT' as const }
  assert.equal((await send({ ...base, pathname: '/ps/users/alice/x', query: 'u=alice&p=wrong' }, '1')).code, '4.01')
  assert.equal((await send({ ...base, pathname: '/ps/users/bob/x', query: 'u=alice&p=s3cret' }, '1')).code, '4.03')
  assert.equal((await send({ ...base, pathname: '/ps/users/alice/x', query: 'u=alice&p=s3cret' }, '2')).code, '2.04')
  assert.equal((await send({ ...base, pathname: '/ps/users/token-user/x', query: 'token=good' }, '3')).code, '2.04')
  assert.equal((await send({ hostname: v4.host, port: v4.port, pathname: '/ps/users/bob/x', query: 'u=alice&p=s3cret' })).code, '4.03')
  assert.deepEqual(received.map((m) => [m.payload.toString(), m.origin]), [
    ['2', { protocol: 'coap', username: 'alice' }],
    ['3', { protocol: 'coap', username: 'token-user' }],
  ])
  assert.ok(seen.every((s) => s.protocol === 'coap'))
  assert.deepEqual(seen[0], { protocol: 'coap', username: 'alice', password: 'wrong', token: undefined })
})
