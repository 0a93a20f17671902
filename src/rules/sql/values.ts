import { isUtf8 } from 'node:buffer'
import { HubError } from '../../errors.js'
import type { PathStep, Value } from './ast.js'

/**
 * The value semantics of rule SQL: loose enough for JSON from devices (a number sent as "31" still
 * compares as a number), strict enough that nonsense is an error instead of a silent NaN.
 *
 * Bytes: a Buffer is binary data (a payload that is not valid UTF-8, a decoded base64 blob). Text
 * functions and templates in text places see its UTF-8 decoding, JSON sees it as base64, and `=` and
 * ordering compare raw bytes (a string compares as its UTF-8 bytes).
 */

/** A runtime error while evaluating a rule; counted as a failure of that rule. */
export function evaluationError(message: string): HubError {
  return new HubError('HUB_ERR_RULE_INVALID', message)
}

export function isNullish(value: Value): value is null | undefined {
  return value === null || value === undefined
}

/** WHERE passes on true, non-zero numbers and non-empty strings; null and missing fields fail it. */
export function isTruthy(value: Value): boolean {
  if (isNullish(value)) return false
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value)
  if (typeof value === 'string') return value.length > 0
  if (Buffer.isBuffer(value)) return value.length > 0
  return true
}

/** A number from a number or a numeric string; undefined when the value is not numeric. */
export function asNumber(value: Value): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    if (!Number.isNaN(n)) return n
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  return undefined
}

/** A number, or a runtime error naming the function or operator that needed one. */
export function requireNumber(value: Value, where: string): number {
  const n = asNumber(value)
  if (n === undefined) throw evaluationError(`${where} expects a number, got ${describe(value)}`)
  return n
}

/**
 * Text for templates and string functions: strings as they are, null as '', bytes as their UTF-8
 * decoding (invalid sequences become U+FFFD), the rest as JSON.
 */
export function toText(value: Value): string {
  if (isNullish(value)) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return toJson(value)
}

/** Bytes as a SQL value: their text when they are valid UTF-8, the Buffer itself otherwise. */
export function bytesValue(bytes: Buffer): string | Buffer {
  const text = bytes.toString('utf8')
  // invalid UTF-8 always decodes with U+FFFD in it, so text without one needs no second look
  return !text.includes('\uFFFD') || isUtf8(bytes) ? text : bytes
}

/**
 * Values joined as text, as `||`, `concat()` and `+` on text do. When one of them is bytes the result
 * is bytes (the others as UTF-8), so joining never corrupts binary data; as always it is text when the
 * joined bytes are valid UTF-8.
 */
export function joinValues(values: readonly Value[]): string | Buffer {
  if (!values.some((v) => Buffer.isBuffer(v))) return values.map(toText).join('')
  return bytesValue(Buffer.concat(values.map(toBytes)))
}

/** The bytes of a value: a Buffer as it is, anything else as the UTF-8 of {@link toText}. */
export function toBytes(value: Value): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(toText(value), 'utf8')
}

/**
 * The value with every Buffer in it (at any depth) replaced by its base64 text, ready for JSON. The
 * value itself (not a copy) when it holds no Buffer, which one walk without allocations finds out.
 */
export function toJsonValue(value: Value): Value {
  if (value === null || typeof value !== 'object' || !holdsBytes(value)) return value
  if (Buffer.isBuffer(value)) return value.toString('base64')
  if (Array.isArray(value)) return value.map(toJsonValue)
  const copy: Record<string, Value> = {}
  for (const key of Object.keys(value)) copy[key] = toJsonValue(value[key])
  return copy
}

function holdsBytes(value: Buffer | Value[] | { [key: string]: Value }): boolean {
  if (Buffer.isBuffer(value)) return true
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object' && holdsBytes(item)) return true
    return false
  }
  for (const key in value) {
    const item = value[key]
    if (item !== null && typeof item === 'object' && holdsBytes(item)) return true
  }
  return false
}

/** JSON text of a value; a Buffer is a base64 string. */
export function toJson(value: Value): string {
  return JSON.stringify(toJsonValue(value))
}

/**
 * Equality: numbers compare with numeric strings, objects and arrays by their JSON, bytes with bytes
 * or with the UTF-8 of a string.
 */
export function valuesEqual(a: Value, b: Value): boolean {
  if (isNullish(a) || isNullish(b)) return isNullish(a) && isNullish(b)
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    if (!(Buffer.isBuffer(a) || typeof a === 'string') || !(Buffer.isBuffer(b) || typeof b === 'string')) return false
    return toBytes(a).equals(toBytes(b))
  }
  if (typeof a === typeof b && typeof a !== 'object') return a === b
  if (typeof a === 'number' || typeof b === 'number') {
    const x = asNumber(a)
    const y = asNumber(b)
    return x !== undefined && y !== undefined && x === y
  }
  if (typeof a === 'object' && typeof b === 'object') return toJson(a) === toJson(b)
  return false
}

/** Order two values: -1, 0, 1, or undefined when they cannot be ordered (then every comparison is false). */
export function compareValues(a: Value, b: Value): number | undefined {
  if (isNullish(a) || isNullish(b)) return undefined
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    // bytes order byte by byte, with a string as its UTF-8; against anything else they do not order
    if (!(Buffer.isBuffer(a) || typeof a === 'string') || !(Buffer.isBuffer(b) || typeof b === 'string')) return undefined
    return Math.sign(Buffer.compare(toBytes(a), toBytes(b)))
  }
  const x = asNumber(a)
  const y = asNumber(b)
  if (x === undefined || y === undefined) return undefined
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * Follow a path into a JSON value; a missing step gives undefined. Negative indexes count from the
 * end. Bytes are not JSON: a path into them gives undefined.
 */
export function walkPath(value: Value, path: readonly PathStep[]): Value {
  let current = value
  for (const step of path) {
    if (current === null || typeof current !== 'object' || Buffer.isBuffer(current)) return undefined
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined
      current = current[step < 0 ? current.length + step : step]
    } else {
      if (Array.isArray(current)) return undefined
      current = Object.hasOwn(current, step) ? current[step] : undefined
    }
  }
  return current
}

/** Parse JSON into a Value; undefined when the text is not JSON. */
export function parseJson(text: string): Value {
  try {
    return JSON.parse(text) as Value
  } catch {
    return undefined
  }
}

/** A short description of a value for error messages. */
export function describe(value: Value): string {
  if (value === undefined) return 'a missing field'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (Buffer.isBuffer(value)) return `binary data (${value.length} bytes)`
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`
  return `${typeof value} ${String(value)}`
}
