import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { matchTopic } from '../../../src/topic/match.js'
import { TopicTree } from '../../../src/topic/topic-tree.js'

// [filter, topic, matches]: MQTT 5.0 §4.7.1 and §4.7.2 examples
const cases: Array<[string, string, boolean]> = [
  ['sport/tennis/player1/#', 'sport/tennis/player1', true], // [MQTT-4.7.1-2] '#' includes the parent
  ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
  ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
  ['sport/#', 'sport', true],
  ['#', 'sport/tennis', true],
  ['sport/tennis/+', 'sport/tennis/player1', true],
  ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
  ['sport/+', 'sport', false],
  ['sport/+', 'sport/', true],
  ['+/+', '/finance', true],
  ['/+', '/finance', true],
  ['+', '/finance', false],
  ['#', '$SYS/broker/uptime', false], // [MQTT-4.7.2-1]
  ['+/monitor/Clients', '$SYS/monitor/Clients', false],
  ['$SYS/#', '$SYS/monitor/Clients', true],
  ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
  ['a/b', 'a/b', true],
  ['a/b', 'a/c', false],
  ['a/+/c', 'a/b/c', true],
  ['a/+/c', 'a/b/d', false],
]

describe('topic matching', () => {
  for (const [filter, topic, expected] of cases) {
    it(`'${filter}' ${expected ? 'matches' : 'does not match'} '${topic}'`, () => {
      assert.equal(matchTopic(filter, topic), expected)
      const tree = new TopicTree<string>()
      tree.add(filter, 'x')
      assert.deepEqual(tree.match(topic), expected ? ['x'] : [])
    })
  }

  it('a tree returns every matching value once and prunes on remove', () => {
    const tree = new TopicTree<string>()
    tree.add('a/+', 'plus')
    tree.add('a/#', 'hash')
    tree.add('a/b', 'exact')
    tree.add('a/b', 'exact')
    assert.equal(tree.size, 3)
    assert.deepEqual(tree.match('a/b').sort(), ['exact', 'hash', 'plus'])
    assert.equal(tree.remove('a/b', 'exact'), true)
    assert.equal(tree.remove('a/b', 'exact'), false)
    assert.deepEqual(tree.match('a/b').sort(), ['hash', 'plus'])
    assert.deepEqual([...tree.entries()].map(([f]) => f).sort(), ['a/#', 'a/+'])
  })
})
