import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createDefaultHooks, type AnonymousPolicy, type AuthRequest } from '../../src/hooks.js'

// [policy, request, accepted]
const cases: Array<[AnonymousPolicy, AuthRequest, boolean]> = [
  ['loopback', { protocol: 'mqtt', remoteAddress: '127.0.0.1' }, true],
  ['loopback', { protocol: 'mqtt', remoteAddress: '127.8.9.10' }, true],
  ['loopback', { protocol: 'http', remoteAddress: '::1' }, true],
  ['loopback', { protocol: 'coap', remoteAddress: '::ffff:127.0.0.1' }, true],
  ['loopback', { protocol: 'mqtt', remoteAddress: '192.0.2.7' }, false],
  ['loopback', { protocol: 'http', remoteAddress: '2001:db8::1' }, false],
  ['loopback', { protocol: 'coap' }, false],
  ['loopback', { protocol: 'mqtt', remoteAddress: '192.0.2.7', username: 'alice' }, true],
  ['loopback', { protocol: 'http', remoteAddress: '192.0.2.7', token: 't0k3n' }, true],
  [true, { protocol: 'mqtt', remoteAddress: '192.0.2.7' }, true],
  [false, { protocol: 'mqtt', remoteAddress: '127.0.0.1' }, false],
  [false, { protocol: 'mqtt', remoteAddress: '127.0.0.1', username: 'alice' }, true],
]

describe('default hooks', () => {
  for (const [policy, request, accepted] of cases) {
    const who = request.username ? `user ${request.username}` : request.token ? 'a token' : 'an anonymous client'
    it(`allowAnonymous ${String(policy)}: ${who} from ${request.remoteAddress ?? 'an unknown address'} is ${accepted ? 'accepted' : 'refused'}`, () => {
      const result = createDefaultHooks({ allowAnonymous: policy }).authenticate(request)
      assert.ok(!(result instanceof Promise))
      assert.equal(result.ok, accepted)
      if (!result.ok) assert.equal(result.reason, 'not-authorized')
      else assert.equal(result.identity.protocol, request.protocol)
    })
  }

  it('clients may not publish to $SYS/ topics; the hub itself may', () => {
    const hooks = createDefaultHooks()
    assert.equal(hooks.authorizePublish({ protocol: 'mqtt', roles: [] }, '$SYS/broker/uptime'), false)
    assert.equal(hooks.authorizePublish({ protocol: 'system', roles: [] }, '$SYS/broker/uptime'), true)
    assert.equal(hooks.authorizePublish({ protocol: 'http', roles: [] }, 'sensors/1'), true)
    assert.equal(hooks.authorizeSubscribe({ protocol: 'coap', roles: [] }, '#'), true)
  })
})
