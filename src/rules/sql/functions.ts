import { createHash } from 'node:crypto'
import type { Value } from './ast.js'
import type { Row } from './row.js'
import { bytesValue, describe, evaluationError, isNullish, joinValues, requireNumber, toBytes, toJson, toText } from './values.js'

/**
 * Built-in functions of the rule SQL (names after EMQX and AWS IoT). Each entry states its arity,
 * checked when the SQL is compiled, and a pure implementation over {@link Value}s.
 *
 * Bytes (a Buffer: binary data such as a payload that is not UTF-8): string functions see their UTF-8
 * decoding; the encoders, hashes and `len` work on the raw bytes; `concat` keeps them.
 */
export interface SqlFunction {
  min: number
  max: number
  /** One line for docs/rules.md and error messages. */
  signature: string
  call(args: Value[], row: Row): Value
}

const str = (name: string, value: Value): string => {
  if (isNullish(value)) throw evaluationError(`${name}() expects a string, got ${describe(value)}`)
  return toText(value)
}

const text = (name: string, signature: string, fn: (s: string) => Value): SqlFunction => ({ min: 1, max: 1, signature, call: ([a]) => (isNullish(a) ? null : fn(str(name, a))) })

const math = (name: string, fn: (x: number) => number): SqlFunction => ({ min: 1, max: 1, signature: `${name}(x)`, call: ([a]) => (isNullish(a) ? null : fn(requireNumber(a, `${name}()`))) })

/** A function of the bytes of its argument: a Buffer's own bytes, the UTF-8 of anything else's text. */
const bytes = (signature: string, fn: (b: Buffer) => Value): SqlFunction => ({ min: 1, max: 1, signature, call: ([a]) => (isNullish(a) ? null : fn(toBytes(a))) })

const hash = (algorithm: string): SqlFunction => bytes(`${algorithm}(s)`, (b) => createHash(algorithm).update(b).digest('hex'))

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** strftime-style date formatting in UTC: %Y %m %d %H %M %S %L (milliseconds) %s (epoch seconds) %%. */
function formatDate(ms: number, pattern: string): string {
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) throw evaluationError(`format_date() got an invalid timestamp ${ms}`)
  return pattern.replace(/%([YmdHMSLs%])/g, (_, c: string) => {
    switch (c) {
      case 'Y': return String(d.getUTCFullYear())
      case 'm': return pad(d.getUTCMonth() + 1)
      case 'd': return pad(d.getUTCDate())
      case 'H': return pad(d.getUTCHours())
      case 'M': return pad(d.getUTCMinutes())
      case 'S': return pad(d.getUTCSeconds())
      case 'L': return pad(d.getUTCMilliseconds(), 3)
      case 's': return String(Math.floor(ms / 1000))
      default: return '%'
    }
  })
}

function topicLevel(row: Row, n: Value): Value {
  const topic = row.column('topic')
  if (typeof topic !== 'string') return null
  if (n === undefined) return topic
  const index = requireNumber(n, 'topic()')
  if (!Number.isInteger(index) || index < 1) throw evaluationError(`topic(n) counts levels from 1, got ${index}`)
  return topic.split('/')[index - 1] ?? null
}

function substr(s: string, start: number, length: number | undefined): string {
  const from = start < 0 ? Math.max(0, s.length + start) : start
  return length === undefined ? s.slice(from) : s.slice(from, from + Math.max(0, length))
}

function extreme(name: string, args: Value[], pick: (a: number, b: number) => number): Value {
  let result: number | undefined
  for (const a of args) {
    if (isNullish(a)) continue
    const n = requireNumber(a, `${name}()`)
    result = result === undefined ? n : pick(result, n)
  }
  return result ?? null
}

/** The decoded bytes: text when they are valid UTF-8, the bytes (a Buffer) otherwise. */
function decodeBytes(name: string, s: string, encoding: BufferEncoding): Value {
  if (encoding === 'hex' && !/^(?:[0-9a-fA-F]{2})*$/.test(s)) throw evaluationError(`${name}() expects an even number of hex digits`)
  if (encoding === 'base64' && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw evaluationError(`${name}() expects base64 text`)
  return bytesValue(Buffer.from(s, encoding))
}

const FUNCTIONS: Record<string, SqlFunction> = {
  // strings
  upper: text('upper', 'upper(s)', (s) => s.toUpperCase()),
  lower: text('lower', 'lower(s)', (s) => s.toLowerCase()),
  trim: text('trim', 'trim(s)', (s) => s.trim()),
  ltrim: text('ltrim', 'ltrim(s)', (s) => s.trimStart()),
  rtrim: text('rtrim', 'rtrim(s)', (s) => s.trimEnd()),
  reverse: text('reverse', 'reverse(s)', (s) => [...s].reverse().join('')),
  len: {
    min: 1,
    max: 1,
    signature: 'len(s) / length(s): characters of a string, items of an array, bytes of binary data',
    call: ([a]) => (isNullish(a) ? null : Array.isArray(a) ? a.length : Buffer.isBuffer(a) ? a.length : [...toText(a)].length),
  },
  concat: { min: 1, max: Infinity, signature: 'concat(a, b, ...): text, or bytes when one of them is binary data', call: (args) => joinValues(args) },
  substr: {
    min: 2,
    max: 3,
    signature: 'substr(s, start[, length]): start counts from 0, negative from the end',
    call: ([s, start, length]) => (isNullish(s) ? null : substr(str('substr', s), requireNumber(start ?? null, 'substr()'), length === undefined ? undefined : requireNumber(length, 'substr()'))),
  },
  replace: { min: 3, max: 3, signature: 'replace(s, search, replacement): every occurrence', call: ([s, search, by]) => (isNullish(s) ? null : str('replace', s).split(str('replace', search ?? null)).join(toText(by ?? null))) },
  split: { min: 2, max: 2, signature: 'split(s, separator): an array', call: ([s, sep]) => (isNullish(s) ? null : str('split', s).split(str('split', sep ?? null))) },
  join: { min: 2, max: 2, signature: 'join(array, separator)', call: ([a, sep]) => (Array.isArray(a) ? a.map(toText).join(toText(sep ?? null)) : isNullish(a) ? null : toText(a)) },
  startswith: { min: 2, max: 2, signature: 'startswith(s, prefix)', call: ([s, p]) => !isNullish(s) && toText(s).startsWith(toText(p ?? null)) },
  endswith: { min: 2, max: 2, signature: 'endswith(s, suffix)', call: ([s, p]) => !isNullish(s) && toText(s).endsWith(toText(p ?? null)) },
  contains: { min: 2, max: 2, signature: 'contains(s, part) or contains(array, item)', call: ([s, p]) => (Array.isArray(s) ? s.some((x) => toJson(x) === toJson(p ?? null)) : !isNullish(s) && toText(s).includes(toText(p ?? null))) },
  str: { min: 1, max: 1, signature: 'str(x): text of any value (JSON for objects)', call: ([a]) => (isNullish(a) ? null : toText(a)) },
  num: { min: 1, max: 1, signature: 'num(x): a number from a number or numeric string', call: ([a]) => (isNullish(a) ? null : requireNumber(a, 'num()')) },
  int: { min: 1, max: 1, signature: 'int(x): a number truncated towards zero', call: ([a]) => (isNullish(a) ? null : Math.trunc(requireNumber(a, 'int()'))) },
  bool: { min: 1, max: 1, signature: "bool(x): true for true, 'true', and non-zero numbers", call: ([a]) => a === true || a === 'true' || (typeof a === 'number' && a !== 0) },
  // math
  abs: math('abs', Math.abs),
  floor: math('floor', Math.floor),
  ceil: math('ceil', Math.ceil),
  sqrt: math('sqrt', Math.sqrt),
  exp: math('exp', Math.exp),
  ln: math('ln', Math.log),
  log10: math('log10', Math.log10),
  round: {
    min: 1,
    max: 2,
    signature: 'round(x[, digits])',
    call: ([x, digits]) => {
      if (isNullish(x)) return null
      const scale = 10 ** (digits === undefined ? 0 : requireNumber(digits, 'round()'))
      return Math.round(requireNumber(x, 'round()') * scale) / scale
    },
  },
  power: { min: 2, max: 2, signature: 'power(x, y)', call: ([x, y]) => (isNullish(x) || isNullish(y) ? null : requireNumber(x, 'power()') ** requireNumber(y, 'power()')) },
  mod: {
    min: 2,
    max: 2,
    signature: 'mod(x, y)',
    call: ([x, y]) => {
      if (isNullish(x) || isNullish(y)) return null
      const divisor = requireNumber(y, 'mod()')
      if (divisor === 0) throw evaluationError('mod() by zero')
      return requireNumber(x, 'mod()') % divisor
    },
  },
  min: { min: 1, max: Infinity, signature: 'min(a, b, ...)', call: (args) => extreme('min', args, Math.min) },
  max: { min: 1, max: Infinity, signature: 'max(a, b, ...)', call: (args) => extreme('max', args, Math.max) },
  // JSON
  json_encode: { min: 1, max: 1, signature: 'json_encode(x): JSON text; binary data is a base64 string', call: ([a]) => toJson(a ?? null) },
  json_decode: {
    min: 1,
    max: 1,
    signature: 'json_decode(s): the value the JSON text holds',
    call: ([a]) => {
      if (isNullish(a)) return null
      try {
        return JSON.parse(str('json_decode', a)) as Value
      } catch {
        throw evaluationError(`json_decode() got text that is not JSON: ${describe(a)}`)
      }
    },
  },
  // time
  now_timestamp: {
    min: 0,
    max: 1,
    signature: "now_timestamp(['second' | 'millisecond']): the time since the epoch, seconds by default",
    call: ([unit]) => {
      const ms = Date.now()
      if (unit === undefined || unit === 'second') return Math.floor(ms / 1000)
      if (unit === 'millisecond') return ms
      throw evaluationError(`now_timestamp() unit must be 'second' or 'millisecond', got ${describe(unit)}`)
    },
  },
  now_rfc3339: { min: 0, max: 0, signature: 'now_rfc3339(): the time as RFC 3339 text in UTC', call: () => new Date().toISOString() },
  format_date: {
    min: 1,
    max: 2,
    signature: "format_date(ms[, pattern]): UTC, strftime-style %Y %m %d %H %M %S %L %s; default '%Y-%m-%dT%H:%M:%S.%LZ'",
    call: ([ms, pattern]) => (isNullish(ms) ? null : formatDate(requireNumber(ms, 'format_date()'), pattern === undefined ? '%Y-%m-%dT%H:%M:%S.%LZ' : str('format_date', pattern))),
  },
  // encodings
  base64_encode: bytes('base64_encode(s): of the raw bytes of binary data, of the UTF-8 of text', (b) => b.toString('base64')),
  base64_decode: text('base64_decode', 'base64_decode(s): the decoded bytes, as text when they are valid UTF-8', (s) => decodeBytes('base64_decode', s, 'base64')),
  hex_encode: bytes('hex_encode(s): of the raw bytes of binary data, of the UTF-8 of text', (b) => b.toString('hex')),
  hex_decode: text('hex_decode', 'hex_decode(s): the decoded bytes, as text when they are valid UTF-8', (s) => decodeBytes('hex_decode', s, 'hex')),
  // hashing (hex digests of the raw bytes of binary data, of the UTF-8 of text)
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  // topics and nulls
  topic: { min: 0, max: 1, signature: 'topic([n]): the topic, or its n-th level counting from 1', call: ([n], row) => topicLevel(row, n) },
  coalesce: { min: 1, max: Infinity, signature: 'coalesce(a, b, ...): the first value that is not null', call: (args) => args.find((a) => !isNullish(a)) ?? null },
}

// other dialects' names for the same functions (AWS IoT `length`, SQL `substring`, `pow`)
const ALIASES: Record<string, string> = { length: 'len', substring: 'substr', pow: 'power' }
for (const [alias, name] of Object.entries(ALIASES)) FUNCTIONS[alias] = FUNCTIONS[name] as SqlFunction

/** The function with this (lower-case) name, or undefined. */
export function findFunction(name: string): SqlFunction | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined
}

/** Every function name, sorted, for error messages and docs. */
export function listFunctionNames(): string[] {
  return Object.keys(FUNCTIONS).sort()
}
