import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Hooks, Identity } from '../../../src/hub-context.js'
import { collectMessages, errorOf, postJson, startHttpHub, waitFor } from './http-helpers.js'

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

/** Hooks of a hub with users: alice (admin), bob (no roles), a token; anonymous refused; bob may not publish to secret/#. */
function userHooks(seen: Array<{ username?: string; password?: string; token?: string; protocol: string }>): Hooks {
  return {
    authenticate(request) {
      seen.push({ protocol: request.protocol, username: request.username, password: request.password?.toString(), token: request.token })
      const identity = (username: string, roles: string[]): Identity => ({ protocol: request.protocol, username, roles })
      if (request.username === 'alice' && request.password?.toString() === 'a:secret') return { ok: true, identity: identity('alice', ['admin']) }
      if (request.username === 'bob' && request.password?.toString() === 'pw') return { ok: true, identity: identity('bob', []) }
      if (request.token === 'tok-123') return { ok: true, identity: identity('service', []) }
      if (request.username === 'mallory') return { ok: false, reason: 'banned' }
      return { ok: false, reason: 'bad-credentials' }
    },
    authorizePublish: async (identity, topic) => !(identity.username === 'bob' && topic.startsWith('secret/')),
    authorizeSubscribe: async (identity, filter) => !(identity.username === 'bob' && filter.startsWith('secret/')),
  }
}

test('Basic and Bearer credentials reach the authenticate hook, and the publisher is the message origin', async (t) => {
  const seen: Array<{ username?: string; password?: string; token?: string; protocol: string }> = []
  const { hub, base } = await startHttpHub(t, {}, { hooks: userHooks(seen) })
  const messages = collectMessages(t, hub)
  // The password keeps its colons: only the first separates user and password (RFC 7617 §2).
  const asAlice = await postJson(`${base}/api/v1/publish`, { topic: 'a', payload: '1' }, { authorization: basic('alice', 'a:secret') })
  assert.equal(asAlice.status, 200)
  const asToken = await postJson(`${base}/api/v1/publish`, { topic: 'b', payload: '2' }, { authorization: 'Bearer tok-123' })
  assert.equal(asToken.status, 200)
  assert.deepEqual(seen, [
    { protocol: 'http', username: 'alice', password: 'a:secret', token: undefined },
    { protocol: 'http', username: undefined, password: undefined, token: 'tok-123' },
  ])
  assert.deepEqual(messages.map((m) => m.origin), [
    { protocol: 'http', username: 'alice' },
    { protocol: 'http', username: 'service' },
  ])
})

test('missing or wrong credentials get 401 with a WWW-Authenticate challenge, and nothing is published', async (t) => {
  const { hub, base } = await startHttpHub(t, {}, { hooks: userHooks([]) })
  const messages = collectMessages(t, hub)
  for (const authorization of [undefined, basic('alice', 'wrong'), 'Bearer nope', 'Basic !!!', 'Digest abc']) {
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
    const response = await postJson(`${base}/api/v1/publish`, { topic: 'a', payload: 'x' }, headers)
    assert.equal(response.status, 401, String(authorization))
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm="junction", Bearer realm="junction"$/)
    assert.equal((await errorOf(response)).code, 'HUB_ERR_BAD_CREDENTIALS')
  }
  const banned = await postJson(`${base}/api/v1/publish`, { topic: 'a', payload: 'x' }, { authorization: basic('mallory', 'x') })
  assert.equal(banned.status, 403)
  assert.equal(messages.length, 0)
})

test('the ACL hooks decide what an HTTP identity may publish, read and stream: 403 otherwise', async (t) => {
  const { hub, base } = await startHttpHub(t, {}, { hooks: userHooks([]) })
  const messages = collectMessages(t, hub)
  const bob = { authorization: basic('bob', 'pw') }
  const json = await postJson(`${base}/api/v1/publish`, { topic: 'secret/plans', payload: 'x' }, bob)
  assert.equal(json.status, 403)
  const error = await errorOf(json)
  assert.equal(error.code, 'HUB_ERR_NOT_AUTHORIZED')
  assert.match(error.message, /secret\/plans/)
  assert.equal((await fetch(`${base}/api/v1/topics/secret/plans`, { method: 'POST', body: 'x', headers: bob })).status, 403)
  assert.equal((await fetch(`${base}/api/v1/topics/secret/plans`, { headers: bob })).status, 403)
  assert.equal((await fetch(`${base}/api/v1/topics/secret/plans`, { method: 'DELETE', headers: bob })).status, 403)
  assert.equal((await fetch(`${base}/api/v1/stream?filter=secret/%23`, { headers: bob })).status, 403)
  assert.equal((await fetch(`${base}/api/v1/retained?filter=secret/%23`, { headers: bob })).status, 403)
  const bulk = (await (await postJson(`${base}/api/v1/publish/bulk`, [{ topic: 'secret/x', payload: '1' }, { topic: 'open/x', payload: '2' }], bob)).json()) as {
    results: Array<{ ok: boolean; error?: { code: string } }>
  }
  assert.deepEqual(bulk.results.map((r) => r.ok), [false, true])
  assert.equal(bulk.results[0]?.error?.code, 'HUB_ERR_NOT_AUTHORIZED')
  await waitFor(() => messages.length > 0, 'the allowed bulk item')
  assert.deepEqual(messages.map((m) => m.topic), ['open/x'])
})

test('admin endpoints need the admin role when http.adminAccess is role', async (t) => {
  const { base } = await startHttpHub(t, { http: { adminAccess: 'role' } }, { hooks: userHooks([]) })
  const asBob = await fetch(`${base}/api/v1/clients`, { headers: { authorization: basic('bob', 'pw') } })
  assert.equal(asBob.status, 403)
  assert.match((await errorOf(asBob)).message, /admin role/)
  const asAlice = await fetch(`${base}/api/v1/clients`, { headers: { authorization: basic('alice', 'a:secret') } })
  assert.equal(asAlice.status, 200)
  // Publishing is not an admin action: bob still may.
  assert.equal((await postJson(`${base}/api/v1/publish`, { topic: 'open', payload: 'x' }, { authorization: basic('bob', 'pw') })).status, 200)
})

test('with the default hooks and adminAccess loopback, an anonymous loopback caller may use the admin endpoints', async (t) => {
  const { base } = await startHttpHub(t)
  for (const path of ['/api/v1/clients', '/api/v1/sessions', '/api/v1/subscriptions', '/api/v1/stats']) {
    assert.equal((await fetch(`${base}${path}`)).status, 200, path)
  }
})

test('the default hooks with adminAccess role refuse anonymous admin calls', async (t) => {
  const { base } = await startHttpHub(t, { http: { adminAccess: 'role' } })
  const response = await fetch(`${base}/api/v1/stats`)
  assert.equal(response.status, 403)
  assert.equal((await errorOf(response)).code, 'HUB_ERR_NOT_AUTHORIZED')
})
