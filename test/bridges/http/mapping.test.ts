import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHubError } from '../../../src/errors.js'
import { parseAuthorization } from '../../../bridges/http/identity.js'
import { decodeBase64Strict, ifNoneMatchHits, topicFromSegments, viewPayload } from '../../../bridges/http/mapping.js'
import { toOpenApiPath } from '../../../bridges/http/route-table.js'

const base64Cases: Array<[string, string | undefined]> = [
  ['', ''],
  ['YQ==', 'a'],
  ['YWI=', 'ab'],
  ['YWJj', 'abc'],
  ['YWJjZA==', 'abcd'],
  ['YQ', undefined], // unpadded
  ['YQ=', undefined],
  ['Y===', undefined],
  ['YW Jj', undefined],
  ['YWJj\n', undefined],
  ['-_8=', undefined], // base64url alphabet
  ['YWJj!', undefined],
]

test('strict base64 decoding accepts only padded standard base64', () => {
  for (const [text, expected] of base64Cases) {
    if (expected === undefined) {
      assert.throws(() => decodeBase64Strict(text, 'payload'), (e: unknown) => isHubError(e, 'HUB_ERR_BAD_REQUEST') && /^payload: not valid base64/.test(e.message), JSON.stringify(text))
    } else {
      assert.equal(decodeBase64Strict(text, 'payload').toString(), expected, JSON.stringify(text))
    }
  }
})

test('If-None-Match matches the current tag in a list, weak or strong, and *', () => {
  const etag = '"abc"'
  assert.equal(ifNoneMatchHits(undefined, etag), false)
  assert.equal(ifNoneMatchHits('"abc"', etag), true)
  assert.equal(ifNoneMatchHits('"x", W/"abc"', etag), true)
  assert.equal(ifNoneMatchHits('*', etag), true)
  assert.equal(ifNoneMatchHits('"abcd"', etag), false)
})

test('payloads are shown as text when valid UTF-8 and as base64 otherwise', () => {
  assert.deepEqual(viewPayload(Buffer.from('grüße')), { payload: 'grüße', encoding: 'utf8' })
  assert.deepEqual(viewPayload(Buffer.from([0xc3, 0x28])), { payload: 'wyg=', encoding: 'base64' })
  assert.deepEqual(viewPayload(Buffer.alloc(0)), { payload: '', encoding: 'utf8' })
})

test('wildcard path segments join into a topic, keeping empty levels', () => {
  assert.equal(topicFromSegments(['a', 'b', 'c']), 'a/b/c')
  assert.equal(topicFromSegments(['', 'a', '']), '/a/')
  assert.equal(topicFromSegments(undefined), '')
})

test('Authorization headers are read as Basic or Bearer, and anything else is refused', () => {
  assert.deepEqual(parseAuthorization(undefined), {})
  const basic = parseAuthorization(`Basic ${Buffer.from('user:pa:ss').toString('base64')}`)
  assert.equal(basic.username, 'user')
  assert.equal(basic.password?.toString(), 'pa:ss')
  assert.deepEqual(parseAuthorization('bearer tok'), { token: 'tok' })
  for (const header of ['Basic', 'Basic !!', `Basic ${Buffer.from('nocolon').toString('base64')}`, 'Bearer', 'Digest x']) {
    assert.throws(() => parseAuthorization(header), (e: unknown) => isHubError(e, 'HUB_ERR_BAD_CREDENTIALS'), header)
  }
})

test('express paths become OpenAPI path templates', () => {
  assert.equal(toOpenApiPath('/api/v1/topics/*topic'), '/api/v1/topics/{topic}')
  assert.equal(toOpenApiPath('/api/v1/rules/:id/enable'), '/api/v1/rules/{id}/enable')
})
