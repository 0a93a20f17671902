import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHubError } from '../../../src/errors.js'
import { assertNoRuleLoop, filtersOverlap, findRuleLoop } from '../../../src/rules/loop-check.js'

const overlaps: Array<[string, string, boolean]> = [
  ['a/b', 'a/b', true],
  ['a/b', 'a/c', false],
  ['a/+', 'a/b', true],
  ['+/+', 'a/b', true],
  ['a/+', 'a/b/c', false],
  ['a/#', 'a', true],
  ['a/#', 'a/b/c', true],
  ['+', 'a/#', true],
  ['+', 'a/b/#', false],
  ['#', 'x/y', true],
  ['$SYS/x', '#', false],
  ['$SYS/x', '+/x', false],
  ['$SYS/x', '$SYS/#', true],
  ['a/b/c', 'a/b', false],
]
for (const [a, b, expected] of overlaps) {
  test(`filters ${a} and ${b} ${expected ? 'overlap' : 'do not overlap'}`, () => {
    assert.equal(filtersOverlap(a, b), expected)
    assert.equal(filtersOverlap(b, a), expected)
  })
}

test('a rule feeding itself is a loop of one', () => {
  assert.deepEqual(findRuleLoop([{ id: 'echo', filters: ['in/#'], outputs: ['in/${x}'] }]), ['echo', 'echo'])
})

test('a cycle through three rules is named in order', () => {
  const nodes = [
    { id: 'c', filters: ['three'], outputs: ['one'] },
    { id: 'a', filters: ['one'], outputs: ['two/${id}'] },
    { id: 'b', filters: ['two/+'], outputs: ['three'] },
    { id: 'd', filters: ['three'], outputs: ['elsewhere'] },
  ]
  assert.throws(() => assertNoRuleLoop(nodes), (error: unknown) => {
    assert.ok(isHubError(error, 'HUB_ERR_RULE_LOOP'))
    assert.equal(error.message, 'rule loop: a -> b -> c -> a')
    assert.deepEqual(error.details, { cycle: ['a', 'b', 'c', 'a'] })
    return true
  })
})

test('a chain without a cycle passes', () => {
  assert.doesNotThrow(() =>
    assertNoRuleLoop([
      { id: 'a', filters: ['sensors/+/temp'], outputs: ['alerts/${room}'] },
      { id: 'b', filters: ['alerts/#'], outputs: ['notify/${room}'] },
      { id: 'c', filters: [], outputs: ['sensors/x/humidity'] },
    ]),
  )
})

test('a dead-letter topic counts as an output', () => {
  assert.deepEqual(findRuleLoop([{ id: 'a', filters: ['dead/#'], outputs: ['dead/a'] }]), ['a', 'a'])
})
