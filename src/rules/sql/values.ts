import { HubError } from '../../errors.js'
import type { PathStep, Value } from './ast.js'

/**
 * The value semantics of rule SQL: loose enough for JSON from devices (a number sent as "31" still
 * compares as a number), strict enough that nonsense is an error instead of a silent NaN.
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

/** Text for templates and string functions: strings as they are, null as '', the rest as JSON. */
export function toText(value: Value): string {
  if (isNullish(value)) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** Equality: numbers compare with numeric strings, objects and arrays by their JSON. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (isNullish(a) || isNullish(b)) return isNullish(a) && isNullish(b)
  if (typeof a === typeof b && typeof a !== 'object') return a === b
  if (typeof a === 'number' || typeof b === 'number') {
    const x = asNumber(a)
    const y = asNumber(b)
    return x !== undefined && y !== undefined && x === y
  }
  if (typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b)
  return false
}

/** Order two values: -1, 0, 1, or undefined when they cannot be ordered (then every comparison is false). */
export function compareValues(a: Value, b: Value): number | undefined {
  if (isNullish(a) || isNullish(b)) return undefined
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  const x = asNumber(a)
  const y = asNumber(b)
  if (x === undefined || y === undefined) return undefined
  return x < y ? -1 : x > y ? 1 : 0
}

/** Follow a path into a JSON value; a missing step gives undefined. Negative indexes count from the end. */
export function walkPath(value: Value, path: readonly PathStep[]): Value {
  let current = value
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined
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
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`
  return `${typeof value} ${String(value)}`
}
