import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MessageIds } from '../../../bridges/coap/message-ids.js'

test('one peer receiving more than the whole id space from the endpoint leaves another peer\'s ids untouched', (t) => {
  const ids = new MessageIds(247_000, 100)
  t.after(() => ids.close())
  const first = ids.next('b')
  for (let i = 0; i < 70_000; i++) ids.next('a')
  assert.equal(ids.next('b'), (first + 1) & 0xffff)
})

test('a peer\'s ids wrap from 65535 to 0', (t) => {
  const ids = new MessageIds(247_000, 100)
  t.after(() => ids.close())
  let last = ids.next('p')
  for (let i = 0; i < 70_000; i++) {
    const id = ids.next('p')
    assert.equal(id, (last + 1) & 0xffff)
    last = id
  }
})

test('beyond maxPeers the least recently used peer is forgotten, not the busy ones', (t) => {
  const ids = new MessageIds(247_000, 2)
  t.after(() => ids.close())
  const a = ids.next('a')
  ids.next('b')
  assert.equal(ids.next('a'), (a + 1) & 0xffff) // a is now the most recently used
  ids.next('c') // evicts b
  assert.equal(ids.next('a'), (a + 2) & 0xffff)
})
