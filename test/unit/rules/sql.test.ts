import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isHubError } from '../../../src/errors.js'
import { createMessage, type MessageInput, type Origin } from '../../../src/message.js'
import { compileSql } from '../../../src/rules/sql/compiler.js'
import { parseSql } from '../../../src/rules/sql/parser.js'
import { createEventRow, MessageRow, createScheduleRow } from '../../../src/rules/sql/row.js'

function row(input: Partial<Omit<MessageInput, "payload">> & { payload?: unknown } = {}, origin: Origin = { protocol: 'mqtt', clientId: 'c1', username: 'alice' }) {
  const payload = input.payload === undefined ? Buffer.alloc(0) : Buffer.isBuffer(input.payload) ? input.payload : Buffer.from(typeof input.payload === 'string' ? input.payload : JSON.stringify(input.payload))
  return new MessageRow(createMessage({ topic: input.topic ?? 'sensors/kitchen/temp', payload, qos: input.qos ?? 1, retain: input.retain ?? false, properties: input.properties ?? {} }, origin, 1_700_000_000_000))
}

function run(sql: string, r = row()) {
  return compileSql(sql).run(r)
}

function sqlErrorOf(sql: string): { message: string; line: number; column: number } {
  try {
    compileSql(sql)
  } catch (error) {
    assert.ok(isHubError(error, 'HUB_ERR_RULE_INVALID'), `expected HUB_ERR_RULE_INVALID, got ${String(error)}`)
    const details = error.details as { line: number; column: number }
    return { message: error.message, line: details.line, column: details.column }
  }
  assert.fail(`expected ${JSON.stringify(sql)} to be rejected`)
}

describe('rule SQL parser', () => {
  test('parses SELECT fields with aliases, several FROM sources and WHERE', () => {
    const statement = parseSql(`SELECT payload.temp AS temp, topic(2) AS room, clientid, * FROM "sensors/+/temp", '$events/client_connected' WHERE payload.temp > 30`)
    assert.deepEqual(statement.fields.map((f) => (f.kind === 'star' ? '*' : f.name)), ['temp', 'room', 'clientid', '*'])
    assert.deepEqual(statement.from.map((s) => s.text), ['sensors/+/temp', '$events/client_connected'])
    assert.equal(statement.where?.kind, 'binary')
  })

  test('names an unaliased path after its last step and other expressions after their text', () => {
    const statement = parseSql('SELECT payload.a.b, payload.list[1], upper(clientid) FROM "t"')
    assert.deepEqual(statement.fields.map((f) => (f.kind === 'star' ? '*' : f.name)), ['b', 'payload.list[1]', 'upper(clientid)'])
  })

  const errors: Array<[string, string, number, number, RegExp]> = [
    ['a missing expression', 'SELECT FROM "t"', 1, 8, /expected an expression but found "FROM"/],
    ['an unterminated string', "SELECT 'abc FROM \"t\"", 1, 8, /unterminated string/],
    ['a stray character', 'SELECT a ? b', 1, 10, /unexpected character "\?"/],
    ['an unquoted topic', 'SELECT *\nFROM sensors', 2, 6, /quoted topic filter/],
    ['an error on a later line', 'SELECT *\nFROM "t"\nWHERE payload.x >', 3, 18, /expected an expression but found the end of the SQL/],
    ['an unknown column', 'SELECT *\n  FROM "t" WHERE temp > 1', 2, 18, /unknown column "temp".*payload\.temp/],
    ['an unknown function', 'SELECT frob(1) FROM "t"', 1, 8, /unknown function frob\(\)/],
    ['a wrong argument count', 'SELECT upper() FROM "t"', 1, 8, /upper\(\) takes 1 argument, got 0/],
    ['an invalid FROM filter', 'SELECT * FROM "a/#/b"', 1, 15, /invalid topic filter/],
    ['an unknown event source', 'SELECT * FROM "$events/nope"', 1, 15, /unknown event source/],
    ['an invalid =~ filter', 'SELECT * FROM "t" WHERE topic =~ "a/b#"', 1, 34, /'#' must be the whole last level/],
    ['CASE without WHEN', 'SELECT CASE ELSE 1 END FROM "t"', 1, 13, /expected WHEN/],
    ['trailing text', 'SELECT 1 FROM "t" WHERE 1 = 1 2', 1, 31, /expected the end of the statement/],
    ['parentheses nested too deep', `SELECT ${'('.repeat(300)}1${')'.repeat(300)} AS x`, 1, 208, /nested more than 200 levels deep/],
    ['NOT repeated too often', `SELECT * FROM "t" WHERE ${'NOT '.repeat(300)}true`, 1, 825, /nested more than 200 levels deep/],
  ]
  for (const [name, sql, line, column, message] of errors) {
    test(`points at the line and column of ${name}`, () => {
      const error = sqlErrorOf(sql)
      assert.deepEqual([error.line, error.column], [line, column], error.message)
      assert.match(error.message, message)
      assert.match(error.message, new RegExp(`line ${line}, column ${column}`))
    })
  }
})

describe('rule SQL evaluation', () => {
  const payload = { temp: 31, hum: '45', list: [10, 20, 30], nested: { a: { b: 'deep' } }, name: 'Kitchen Sensor', flag: true, 'odd-key': 7 }
  const r = () => row({ payload, properties: { contentType: 'application/json', userProperties: { site: 'north' } } })
  const cases: Array<[string, unknown]> = [
    ['payload.temp', 31],
    ['payload.nested.a.b', 'deep'],
    ['payload.list[1]', 20],
    ['payload.list[-1]', 30],
    ["payload['odd-key']", 7],
    ['payload.missing', null],
    ['payload.temp + 1', 32],
    ['payload.hum * 2', 90],
    ['payload.temp - 1 * 2', 29],
    ['(payload.temp - 1) * 2', 60],
    ['payload.temp / 2', 15.5],
    ['payload.temp % 7', 3],
    ['-payload.temp', -31],
    ["'a' + 'b'", 'ab'],
    ["'x' || payload.temp", 'x31'],
    ['payload.temp > 30', true],
    ['payload.hum = 45', true],
    ['payload.temp <> 31', false],
    ['payload.temp >= 31 AND payload.hum < 50', true],
    ['payload.temp < 0 OR NOT payload.flag', false],
    ['payload.temp IN (1, 31)', true],
    ["clientid NOT IN ('c1')", false],
    ["payload.name LIKE 'Kitchen%'", true],
    ["payload.name LIKE 'K_tchen S%r'", true],
    ["payload.name NOT LIKE '%garage%'", true],
    ["topic =~ 'sensors/+/temp'", true],
    ["topic =~ 'sensors/#'", true],
    ["topic =~ 'other/#'", false],
    ['payload.missing IS NULL', true],
    ['payload.temp IS NOT NULL', true],
    ['payload.missing > 1', false],
    ["CASE WHEN payload.temp > 30 THEN 'hot' WHEN payload.temp > 20 THEN 'warm' ELSE 'cold' END", 'hot'],
    ["CASE payload.hum WHEN 45 THEN 'ok' ELSE 'no' END", 'ok'],
    ['CASE WHEN false THEN 1 END', null],
    ['topic', 'sensors/kitchen/temp'],
    ['qos', 1],
    ['retain', false],
    ['clientid', 'c1'],
    ['username', 'alice'],
    ['protocol', 'mqtt'],
    ['timestamp', 1_700_000_000_000],
    ['properties.contentType', 'application/json'],
    ['properties.userProperties.site', 'north'],
    ["json_decode('{\"a\":[1,2]}').a[1]", 2],
    ['event', 'message.publish'],
  ]
  for (const [expr, expected] of cases) {
    test(`evaluates ${expr}`, () => {
      assert.deepEqual(run(`SELECT ${expr} AS v FROM "sensors/#"`, r())?.v, expected)
    })
  }

  test('selects every column with * and adds aliased fields', () => {
    const out = run('SELECT *, payload.temp AS t FROM "sensors/#"', row({ payload: { temp: 5 } }))
    assert.equal(out?.topic, 'sensors/kitchen/temp')
    assert.equal(out?.payload, '{"temp":5}')
    assert.equal(out?.clientid, 'c1')
    assert.equal(out?.t, 5)
  })

  test('WHERE rejects a row and may name a SELECT alias', () => {
    const sql = 'SELECT payload.temp AS t FROM "sensors/#" WHERE t > 30'
    assert.deepEqual(run(sql, row({ payload: { temp: 31 } })), { t: 31 })
    assert.equal(run(sql, row({ payload: { temp: 20 } })), undefined)
  })

  test('a payload that is not JSON gives null fields and keeps its text', () => {
    const out = run('SELECT payload, payload.temp AS t FROM "t"', row({ payload: 'on' }))
    assert.deepEqual(out, { payload: 'on', t: null })
  })

  test('a runtime error names what went wrong', () => {
    assert.throws(() => run('SELECT payload.temp / 0 AS x FROM "t"', row({ payload: { temp: 1 } })), /division by zero/)
    assert.throws(() => run("SELECT 'abc' * 2 AS x FROM \"t\""), /operator \* expects a number, got the string "abc"/)
  })

  test('event rows carry the event columns', () => {
    const r = createEventRow('client_connected', { clientId: 'dev1', username: 'u', protocol: 'mqtt', protocolVersion: 5, remoteAddress: '127.0.0.1:5000', keepAlive: 60, cleanStart: true }, 42)
    assert.deepEqual(compileSql('SELECT event, clientid, proto_ver, keepalive, clean_start, timestamp FROM "$events/client_connected"').run(r), {
      event: 'client_connected', clientid: 'dev1', proto_ver: 5, keepalive: 60, clean_start: true, timestamp: 42,
    })
  })

  test('a schedule row has only the time', () => {
    assert.deepEqual(compileSql("SELECT 'ping' AS msg, event").run(createScheduleRow(7)), { msg: 'ping', event: 'schedule' })
  })
})
