import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMessage } from '../../../src/message.js'
import { encodeDeadLetter } from '../../../src/rules/dead-letter.js'

test('a dead letter carries the rule, the error, the failed action and the original message', () => {
  const message = createMessage({ topic: 't/1', payload: Buffer.from('{"a":1}'), qos: 1 }, { protocol: 'mqtt', clientId: 'c1' }, 1000)
  const letter = JSON.parse(encodeDeadLetter('r1', 'boom', message, { index: 2, kind: 'http', fields: { a: 1 } }).toString()) as Record<string, unknown>
  assert.equal(letter.rule, 'r1')
  assert.equal(letter.error, 'boom')
  assert.deepEqual(letter.action, { index: 2, kind: 'http' })
  assert.deepEqual(letter.fields, { a: 1 })
  assert.deepEqual(letter.message, { id: message.id, topic: 't/1', qos: 1, retain: false, payload: '{"a":1}', encoding: 'utf8', protocol: 'mqtt', clientid: 'c1', timestamp: 1000 })
})

test('a binary payload is dead-lettered as base64, and a schedule failure has no message', () => {
  const message = createMessage({ topic: 'bin', payload: Buffer.from([0xff, 0x00, 0xfe]) }, { protocol: 'coap' })
  const letter = JSON.parse(encodeDeadLetter('r', 'x', message, undefined).toString()) as { message: { payload: string; encoding: string }; action?: unknown }
  assert.deepEqual([letter.message.payload, letter.message.encoding], ['/wD+', 'base64'])
  assert.equal(letter.action, undefined)
  assert.equal((JSON.parse(encodeDeadLetter('r', 'x', undefined, undefined).toString()) as { message: unknown }).message, null)
})
