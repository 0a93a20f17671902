import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileTemplate, templateToFilter } from '../../../src/rules/actions/template.js'

const fields = { room: 'kitchen', temp: 31, obj: { a: [1, { b: 'x' }] }, 'a.b': 'dotted', none: null }
const cases: Array<[string, string]> = [
  ['alerts/${room}', 'alerts/kitchen'],
  ['${temp}', '31'],
  ['${ room }-${temp}', 'kitchen-31'],
  ['${obj}', '{"a":[1,{"b":"x"}]}'],
  ['${obj.a[1].b}', 'x'],
  ['${a.b}', 'dotted'],
  ['${missing}|${none}', '|'],
  ['no placeholders', 'no placeholders'],
]
for (const [template, expected] of cases) {
  test(`template ${template} renders ${JSON.stringify(expected)}`, () => {
    assert.equal(compileTemplate(template, 't')(fields), expected)
  })
}

test('an unterminated or empty placeholder is rejected with where it is', () => {
  assert.throws(() => compileTemplate('alerts/${room', 'rule "a": actions.0.republish.topic'), /rule "a": actions\.0\.republish\.topic: unterminated \$\{/)
  assert.throws(() => compileTemplate('alerts/${}', 'x'), /empty \$\{\}/)
})

test('a topic template reads as a filter with + for every level holding a placeholder', () => {
  assert.equal(templateToFilter('alerts/${room}/x'), 'alerts/+/x')
  assert.equal(templateToFilter('a/pre-${x}-post'), 'a/+')
  assert.equal(templateToFilter('plain/topic'), 'plain/topic')
})
