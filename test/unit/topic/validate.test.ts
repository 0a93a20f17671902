import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkTopicFilter, checkTopicName, parseSharedFilter } from '../../../src/topic/validate.js'

const names: Array<[string, boolean, string]> = [
  ['a/b/c', true, 'plain levels'],
  ['/leading/slash', true, 'an empty first level is a level (§4.7.1.1)'],
  ['trailing/', true, 'empty last level'],
  ['température/€/🌡', true, 'multi-byte UTF-8'],
  ['$SYS/broker', true, '$ topics'],
  ['', false, 'empty [MQTT-4.7.3-1]'],
  ['a/+/b', false, "'+' [MQTT-3.3.2-2]"],
  ['a/#', false, "'#' [MQTT-3.3.2-2]"],
  ['nul\u0000here', false, 'U+0000 [MQTT-4.7.3-2]'],
  ['lone\ud800surrogate', false, 'ill-formed UTF-16 (not representable as UTF-8) [MQTT-1.5.4-1]'],
]

for (const [topic, valid, why] of names) {
  test(`topic name ${JSON.stringify(topic)} is ${valid ? 'valid' : 'invalid'}: ${why}`, () => {
    assert.equal(checkTopicName(topic) === undefined, valid, checkTopicName(topic))
  })
}

const filters: Array<[string, boolean, string]> = [
  ['#', true, "'#' alone"],
  ['a/#', true, "'#' last [MQTT-4.7.1-2]"],
  ['+/b/+', true, "'+' on whole levels [MQTT-4.7.1-3]"],
  ['$share/group/a/+', true, 'shared subscription (5.0 §4.8.2)'],
  ['a/#/b', false, "'#' not last"],
  ['a/b#', false, "'#' not a whole level"],
  ['a+/b', false, "'+' not a whole level"],
  ['$share/group', false, 'shared without a filter [MQTT-4.8.2-2]'],
  ['$share//a', false, 'empty share name [MQTT-4.8.2-1]'],
  ['$share/g+/a', false, "'+' in the share name [MQTT-4.8.2-1]"],
  ['', false, 'empty [MQTT-4.7.3-1]'],
]

for (const [filter, valid, why] of filters) {
  test(`topic filter ${JSON.stringify(filter)} is ${valid ? 'valid' : 'invalid'}: ${why}`, () => {
    assert.equal(checkTopicFilter(filter) === undefined, valid, checkTopicFilter(filter))
  })
}

test('maxLevels limits names and filters', () => {
  assert.equal(checkTopicName('a/b/c', 3), undefined)
  assert.match(checkTopicName('a/b/c/d', 3) ?? '', /more than 3 levels/)
  assert.match(checkTopicFilter('a/b/c/#', 3) ?? '', /more than 3 levels/)
})

test('parseSharedFilter splits group and filter', () => {
  assert.deepEqual(parseSharedFilter('$share/g1/sensors/#'), { group: 'g1', filter: 'sensors/#' })
  assert.equal(parseSharedFilter('sensors/#'), undefined)
  assert.equal(parseSharedFilter('$share/g1'), null)
})
