import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHubError } from '../../../src/errors.js'
import { parseRuleFileText } from '../../../src/rules/rule-files.js'

function problemsOf(yaml: string): string {
  try {
    parseRuleFileText(yaml, 'config/rules.yaml')
  } catch (error) {
    assert.ok(isHubError(error, 'HUB_ERR_RULE_INVALID'))
    return error.message
  }
  assert.fail('expected the file to be rejected')
}

test('a valid file gives its rules with defaults filled in', () => {
  const [rule] = parseRuleFileText('- id: a\n  sql: SELECT * FROM "t"\n  actions:\n    - republish: { topic: out }\n    - http: { url: "http://127.0.0.1:9/x" }\n', 'f.yaml')
  assert.equal(rule?.enabled, true)
  assert.deepEqual(rule?.actions[0]?.republish, { topic: 'out', qos: 0, retain: false })
  assert.equal(rule?.actions[1]?.http?.method, 'POST')
  assert.deepEqual(rule?.actions[1]?.http?.retry, { attempts: 1, backoffMs: 200, maxBackoffMs: 10_000 })
})

const problems: Array<[string, string, RegExp]> = [
  ['a bad URL', '- id: hook\n  sql: SELECT * FROM "t"\n  actions: [{ http: { url: "ftp://x" } }]', /^config\/rules\.yaml: rule "hook": actions\.0\.http\.url: expected an absolute http or https URL/m],
  ['two action kinds in one', '- id: two\n  sql: SELECT * FROM "t"\n  actions: [{ log: {}, republish: { topic: x } }]', /rule "two": actions\.0: expected exactly one of republish, http, coap, log/],
  ['an unknown key', '- id: typo\n  sql: SELECT * FROM "t"\n  action: []', /rule "typo": \(rule\): Unrecognized key: "action"/],
  ['a bad QoS', '- id: q\n  sql: SELECT * FROM "t"\n  actions: [{ republish: { topic: x, qos: 3 } }]', /rule "q": actions\.0\.republish\.qos:/],
  ['a bad schedule', '- id: s\n  schedule: every minute\n  sql: SELECT 1', /rule "s": schedule: expected a node-cron expression/],
  ['a bad dead-letter topic', '- id: d\n  sql: SELECT * FROM "t"\n  deadLetterTopic: "dead/#"', /rule "d": deadLetterTopic: expected a topic name: topic must not contain wildcards/],
  ['a rule without an id', '- id: ok\n  sql: SELECT * FROM "t"\n- sql: SELECT * FROM "t"', /config\/rules\.yaml: rule #2: id:/],
  ['a duplicate id', '- id: x\n  sql: SELECT * FROM "t"\n- id: x\n  sql: SELECT * FROM "u"', /rule "x": id: the id is used twice in this file/],
  ['a mapping instead of a list', 'id: x', /expected a list of rules/],
  ['broken YAML', '- id: [x', /invalid YAML/],
]
for (const [name, yaml, message] of problems) {
  test(`a rule file with ${name} is rejected naming the file, rule and key`, () => {
    assert.match(problemsOf(yaml), message)
  })
}
