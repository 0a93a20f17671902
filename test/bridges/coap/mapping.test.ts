import assert from 'node:assert/strict'
import { test } from 'node:test'
import { contentFormatOf, contentTypeOf, knownContentFormats } from '../../../bridges/coap/content-format.js'
import { mapRequest, parseQuery, type RequestFacts } from '../../../bridges/coap/mapping.js'
import { compileResources } from '../../../bridges/coap/resources.js'

test('every Content-Format in the table maps to its media type and back', () => {
  const expected: Array<[number, string]> = [
    [0, 'text/plain;charset=utf-8'],
    [40, 'application/link-format'],
    [41, 'application/xml'],
    [42, 'application/octet-stream'],
    [47, 'application/exi'],
    [50, 'application/json'],
    [60, 'application/cbor'],
    [110, 'application/senml+json'],
    [112, 'application/senml+cbor'],
  ]
  assert.deepEqual(knownContentFormats(), expected)
  for (const [n, type] of expected) {
    assert.equal(contentTypeOf(n), type)
    assert.equal(contentFormatOf(type), n)
  }
})

test('content types are matched without regard to case, spaces or a UTF-8 charset on text/plain', () => {
  const cases: Array<[string, number | undefined]> = [
    ['text/plain', 0],
    ['Text/Plain; charset=UTF-8', 0],
    ['text/plain; charset=iso-8859-1', undefined],
    ['application/json; charset=utf-8', 50],
    ['APPLICATION/CBOR', 60],
    ['image/png', undefined],
  ]
  for (const [type, n] of cases) assert.equal(contentFormatOf(type), n, type)
  assert.equal(contentTypeOf(9999), undefined)
})

const facts = (over: Partial<RequestFacts>): RequestFacts => ({ code: '0.03', confirmable: true, path: ['ps', 'a', 'b'], query: [], ...over })

test('requests map to actions: publish (QoS by message type), read, clear, observe, unobserve, discover', () => {
  const table: Array<[string, Partial<RequestFacts>, Record<string, unknown>]> = [
    ['CON PUT', {}, { action: 'publish', topic: 'a/b', qos: 1, retain: false }],
    ['NON POST', { code: '0.02', confirmable: false }, { action: 'publish', topic: 'a/b', qos: 0 }],
    ['qos and retain override', { query: ['qos=2', 'retain=true'] }, { action: 'publish', qos: 2, retain: true }],
    ['GET', { code: '0.01' }, { action: 'read', topic: 'a/b' }],
    ['DELETE', { code: '0.04' }, { action: 'clear', topic: 'a/b' }],
    ['observe a wildcard', { code: '0.01', observe: 0, path: ['ps', 'a', '%2B'] }, { action: 'observe', filter: 'a/+', wildcard: true }],
    ['observe # unencoded', { code: '0.01', observe: 0, path: ['ps', '#'] }, { action: 'observe', filter: '#', wildcard: true }],
    ['deregister', { code: '0.01', observe: 1 }, { action: 'unobserve', filter: 'a/b' }],
    ['discover', { code: '0.01', path: ['.well-known', 'core'] }, { action: 'discover' }],
  ]
  for (const [name, over, expected] of table) {
    const result = mapRequest(facts(over), [])
    assert.ok(result.ok, name)
    for (const [key, value] of Object.entries(expected)) assert.deepEqual((result as unknown as Record<string, unknown>)[key], value, `${name}: ${key}`)
  }
})

test('Content-Format and Max-Age of a publish become the content type and message expiry', () => {
  const result = mapRequest(facts({ contentFormat: 50, maxAge: 120 }), [])
  assert.ok(result.ok && result.action === 'publish')
  assert.deepEqual(result.properties, { contentType: 'application/json', messageExpiryInterval: 120 })
})

test('bad requests map to CoAP errors', () => {
  const table: Array<[string, Partial<RequestFacts>, string]> = [
    ['wildcard in a publish', { path: ['ps', 'a', '+'] }, '4.00'],
    ['encoded # in a publish', { path: ['ps', '%23'] }, '4.00'],
    ['bad qos', { query: ['qos=x'] }, '4.00'],
    ['bad retain', { query: ['retain=2'] }, '4.00'],
    ['bad escape', { path: ['ps', '%zz'] }, '4.00'],
    ['no topic', { path: ['ps'] }, '4.00'],
    ['bad filter', { code: '0.01', observe: 0, path: ['ps', 'a#'] }, '4.00'],
    ['unknown path', { path: ['nope'] }, '4.04'],
    ['FETCH', { code: '0.05' }, '4.05'],
    ['PUT on discovery', { path: ['.well-known', 'core'] }, '4.05'],
  ]
  for (const [name, over, code] of table) {
    const result = mapRequest(facts(over), [])
    assert.equal(result.ok, false, name)
    if (!result.ok) assert.equal(result.code, code, name)
  }
})

test('a mapped path captures whole segments into its topic', () => {
  const resources = compileResources([{ path: 'sensors/{device}/temp', topic: 'devices/{device}/temperature' }])
  const result = mapRequest(facts({ path: ['sensors', 'd%2F1', 'temp'] }), resources)
  assert.ok(result.ok && result.action === 'publish')
  assert.equal(result.topic, 'devices/d/1/temperature')
  assert.equal(mapRequest(facts({ path: ['sensors', 'temp'] }), resources).ok, false)
})

test('credentials come from u, p and token', () => {
  const parsed = parseQuery(['u=al%20ice', 'p=pw', 'token=t'])
  assert.ok(!('code' in parsed))
  assert.deepEqual(parsed.credentials, { username: 'al ice', password: Buffer.from('pw'), token: 't' })
})
