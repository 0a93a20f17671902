import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { createMessage } from '../../../src/message.js'
import { compileSql } from '../../../src/rules/sql/compiler.js'
import { listFunctionNames } from '../../../src/rules/sql/functions.js'
import { MessageRow } from '../../../src/rules/sql/row.js'

const row = new MessageRow(createMessage({ topic: 'sensors/kitchen/temp', payload: Buffer.from('{"temp":31,"list":[3,1,2]}') }, { protocol: 'coap' }))

function evaluate(expr: string): unknown {
  return compileSql(`SELECT ${expr} AS v FROM "#"`).run(row)?.v
}

const cases: Array<[string, unknown]> = [
  ["upper('abc')", 'ABC'],
  ["lower('AbC')", 'abc'],
  ["trim('  x  ')", 'x'],
  ["ltrim('  x ')", 'x '],
  ["rtrim(' x  ')", ' x'],
  ["reverse('abc')", 'cba'],
  ["len('héllo')", 5],
  ['length(payload.list)', 3],
  ["concat('a', 1, true, null, 'b')", 'a1trueb'],
  ["substr('abcdef', 2)", 'cdef'],
  ["substr('abcdef', 1, 3)", 'bcd'],
  ["substr('abcdef', -2)", 'ef'],
  ["substring('abcdef', 0, 2)", 'ab'],
  ["replace('a-b-c', '-', '+')", 'a+b+c'],
  ["split('a,b,c', ',')", ['a', 'b', 'c']],
  ["join(split('a,b', ','), '/')", 'a/b'],
  ["startswith(topic, 'sensors/')", true],
  ["endswith(topic, '/humidity')", false],
  ["contains('kitchen', 'itch')", true],
  ['contains(payload.list, 2)', true],
  ['str(payload.list)', '[3,1,2]'],
  ["num('4.5')", 4.5],
  ['int(-4.7)', -4],
  ["bool('true')", true],
  ['abs(-3)', 3],
  ['round(2.567, 2)', 2.57],
  ['round(2.5)', 3],
  ['floor(2.9)', 2],
  ['ceil(2.1)', 3],
  ['sqrt(16)', 4],
  ['power(2, 10)', 1024],
  ['pow(3, 2)', 9],
  ['mod(10, 3)', 1],
  ['min(4, 2, 9)', 2],
  ['max(4, null, 9)', 9],
  ['exp(0)', 1],
  ['ln(1)', 0],
  ['log10(1000)', 3],
  ['json_encode(payload.list)', '[3,1,2]'],
  ["json_decode('{\"a\":1}')", { a: 1 }],
  ['format_date(0)', '1970-01-01T00:00:00.000Z'],
  ["format_date(1700000000123, '%Y/%m/%d %H:%M:%S.%L %s %%')", '2023/11/14 22:13:20.123 1700000000 %'],
  ["base64_encode('hello')", 'aGVsbG8='],
  ["base64_decode('aGVsbG8=')", 'hello'],
  ["hex_encode('hi')", '6869'],
  ["hex_decode('6869')", 'hi'],
  ["md5('abc')", createHash('md5').update('abc').digest('hex')],
  ["sha1('abc')", createHash('sha1').update('abc').digest('hex')],
  ["sha256('abc')", createHash('sha256').update('abc').digest('hex')],
  ['topic()', 'sensors/kitchen/temp'],
  ['topic(1)', 'sensors'],
  ['topic(3)', 'temp'],
  ['topic(4)', null],
  ['coalesce(payload.missing, null, 7)', 7],
  ['coalesce(payload.missing)', null],
  ['upper(payload.missing)', null],
]

for (const [expr, expected] of cases) {
  test(`${expr} gives ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(evaluate(expr), expected)
  })
}

test('now_timestamp() counts seconds by default and milliseconds on request', () => {
  const before = Date.now()
  const seconds = evaluate('now_timestamp()') as number
  const ms = evaluate("now_timestamp('millisecond')") as number
  assert.ok(Math.abs(seconds - Math.floor(before / 1000)) <= 1)
  assert.ok(ms >= before)
  assert.match(evaluate('now_rfc3339()') as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
})

const failures: Array<[string, RegExp]> = [
  ["json_decode('{nope')", /json_decode\(\) got text that is not JSON/],
  ["hex_decode('abc')", /even number of hex digits/],
  ["base64_decode('!!')", /expects base64 text/],
  ['topic(0)', /counts levels from 1/],
  ["sqrt('x')", /sqrt\(\) expects a number/],
  ['mod(1, 0)', /mod\(\) by zero/],
  ["now_timestamp('hour')", /unit must be/],
]
for (const [expr, message] of failures) {
  test(`${expr} fails with a clear error`, () => {
    assert.throws(() => evaluate(expr), message)
  })
}

test('function names are case-insensitive', () => {
  assert.equal(evaluate("UPPER('a')"), 'A')
})

test('every function is covered by this table', () => {
  const covered = new Set([...cases, ...failures].map(([expr]) => /^(\w+)\(/.exec(expr)?.[1]?.toLowerCase()))
  for (const name of ['now_timestamp', 'now_rfc3339']) covered.add(name)
  assert.deepEqual(listFunctionNames().filter((name) => !covered.has(name)), [])
})
