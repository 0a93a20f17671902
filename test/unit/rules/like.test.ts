import assert from 'node:assert/strict'
import { test } from 'node:test'
import { matchLike, parseLike } from '../../../src/rules/sql/like.js'

const cases: Array<[string, string, boolean]> = [
  ['abc', 'abc', true],
  ['abc', 'abcd', false],
  ['a%', 'abcd', true],
  ['%d', 'abcd', true],
  ['%bc%', 'abcd', true],
  ['a_c', 'abc', true],
  ['a_c', 'ac', false],
  ['%', '', true],
  ['_', '', false],
  ['a%%b', 'a-x-b', true],
  ['%a%b', 'xxaxxbx', false],
  ['%a%b%', 'xxaxxbx', true],
  ['100\\%', '100%', true],
  ['100\\%', '1000', false],
  ['a\\_b', 'a_b', true],
  ['a\\_b', 'axb', false],
  ['gw-%', 'gw-7', true],
  ['[x].*', '[x].*', true],
  ['_é_', 'cél', true],
  ['%🙂', 'hi 🙂', true],
]
for (const [pattern, subject, expected] of cases) {
  test(`'${subject}' LIKE '${pattern}' is ${expected}`, () => {
    assert.equal(matchLike(parseLike(pattern), subject), expected)
  })
}

test('a pattern with many % against a long subject answers without catastrophic backtracking', () => {
  // a backtracking regular expression for this pattern takes far too long on this subject
  const pattern = parseLike(`${'%a'.repeat(12)}%b`)
  assert.equal(matchLike(pattern, 'a'.repeat(5000)), false)
})
