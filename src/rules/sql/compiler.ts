import { matchTopic } from '../../topic/match.js'
import { checkTopicFilter, parseSharedFilter } from '../../topic/validate.js'
import type { Expr, SelectField, SelectStatement, Value } from './ast.js'
import { findFunction } from './functions.js'
import { matchLike, parseLike, type LikePattern } from './like.js'
import { parseSql } from './parser.js'
import { EVENT_SOURCES, KNOWN_COLUMNS, type EventSource, type Row } from './row.js'
import { sqlError } from './tokenizer.js'
import { asNumber, compareValues, evaluationError, isNullish, isTruthy, joinValues, requireNumber, toText, valuesEqual, walkPath } from './values.js'

/** An expression compiled to a closure over a row. */
type Evaluator = (row: Row) => Value

/** A rule's SQL, parsed and compiled once; running it is a call per message, with no interpretation of text. */
export interface CompiledQuery {
  /** Topic filters named in FROM. */
  readonly filters: readonly string[]
  /** `$events/...` sources named in FROM, without the prefix. */
  readonly events: readonly EventSource[]
  /** The selected fields, or undefined when WHERE rejects the row. Throws on evaluation errors. */
  run(row: Row): Record<string, Value> | undefined
}

const EVENT_PREFIX = '$events/'

/** Parse and compile rule SQL; errors are HUB_ERR_RULE_INVALID with the line and column in `details`. */
export function compileSql(sql: string): CompiledQuery {
  const statement = parseSql(sql)
  const { filters, events } = compileSources(statement)
  const aliases = new Map<string, Expr>()
  for (const field of statement.fields) if (field.kind === 'expr') aliases.set(field.name, field.expr)
  const select = compileFields(statement.fields)
  // WHERE may name SELECT aliases (as in EMQX); they compile to the aliased expression.
  const where = statement.where === undefined ? undefined : compileExpr(statement.where, aliases)
  return {
    filters,
    events,
    run(row) {
      if (where !== undefined && !isTruthy(where(row))) return undefined
      return select(row)
    },
  }
}

function compileSources(statement: SelectStatement): { filters: string[]; events: EventSource[] } {
  const filters: string[] = []
  const events: EventSource[] = []
  for (const source of statement.from) {
    const { text, pos } = source
    if (text.startsWith(EVENT_PREFIX)) {
      const name = text.slice(EVENT_PREFIX.length)
      if (!(EVENT_SOURCES as readonly string[]).includes(name)) {
        throw sqlError(`unknown event source "${text}"; known: ${EVENT_SOURCES.map((e) => EVENT_PREFIX + e).join(', ')}`, pos.line, pos.column)
      }
      if (!events.includes(name as EventSource)) events.push(name as EventSource)
      continue
    }
    const problem = checkTopicFilter(text)
    if (problem !== undefined) throw sqlError(`invalid topic filter in FROM: ${problem}`, pos.line, pos.column)
    if (parseSharedFilter(text) !== undefined) throw sqlError(`a rule cannot read a shared subscription: ${text}`, pos.line, pos.column)
    if (!filters.includes(text)) filters.push(text)
  }
  return { filters, events }
}

function compileFields(fields: SelectField[]): (row: Row) => Record<string, Value> {
  const steps = fields.map((field) => {
    if (field.kind === 'star') return (row: Row, out: Record<string, Value>) => Object.assign(out, row.all())
    const evaluate = compileExpr(field.expr, new Map())
    const name = field.name
    return (row: Row, out: Record<string, Value>) => {
      out[name] = evaluate(row) ?? null
    }
  })
  return (row) => {
    const out: Record<string, Value> = {}
    for (const step of steps) step(row, out)
    return out
  }
}

function compileExpr(expr: Expr, aliases: ReadonlyMap<string, Expr>): Evaluator {
  const compile = (e: Expr): Evaluator => compileExpr(e, aliases)
  switch (expr.kind) {
    case 'literal': {
      const value = expr.value
      return () => value
    }
    case 'column':
      return compileColumn(expr, aliases)
    case 'member': {
      const target = compile(expr.target)
      const path = expr.path
      return (row) => walkPath(target(row), path)
    }
    case 'unary': {
      const operand = compile(expr.operand)
      if (expr.op === 'NOT') return (row) => !isTruthy(operand(row))
      return (row) => {
        const v = operand(row)
        return isNullish(v) ? null : -requireNumber(v, 'unary -')
      }
    }
    case 'binary':
      return compileBinary(expr.op, compile(expr.left), compile(expr.right), expr)
    case 'like': {
      const subject = compile(expr.subject)
      const matches = compileLike(expr.pattern, compile(expr.pattern))
      const negated = expr.negated
      return (row) => {
        const s = subject(row)
        if (isNullish(s)) return false
        return matches(row, toText(s)) !== negated
      }
    }
    case 'in': {
      const subject = compile(expr.subject)
      const list = expr.list.map(compile)
      const negated = expr.negated
      return (row) => {
        const s = subject(row)
        return list.some((item) => valuesEqual(s, item(row))) !== negated
      }
    }
    case 'is-null': {
      const subject = compile(expr.subject)
      const negated = expr.negated
      return (row) => isNullish(subject(row)) !== negated
    }
    case 'case': {
      const operand = expr.operand === undefined ? undefined : compile(expr.operand)
      const branches = expr.branches.map((b) => ({ when: compile(b.when), then: compile(b.then) }))
      const otherwise = expr.otherwise === undefined ? () => null : compile(expr.otherwise)
      return (row) => {
        const subject = operand?.(row)
        for (const branch of branches) {
          const hit = operand === undefined ? isTruthy(branch.when(row)) : valuesEqual(subject, branch.when(row))
          if (hit) return branch.then(row)
        }
        return otherwise(row)
      }
    }
    case 'call': {
      const fn = findFunction(expr.name)
      if (fn === undefined) throw sqlError(`unknown function ${expr.name}()`, expr.pos.line, expr.pos.column)
      if (expr.args.length < fn.min || expr.args.length > fn.max) {
        const takes = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`
        throw sqlError(`${expr.name}() takes ${takes} argument${fn.max === 1 ? '' : 's'}, got ${expr.args.length} (${fn.signature})`, expr.pos.line, expr.pos.column)
      }
      const args = expr.args.map(compile)
      return (row) => fn.call(args.map((a) => a(row)), row)
    }
  }
}

function compileColumn(expr: Extract<Expr, { kind: 'column' }>, aliases: ReadonlyMap<string, Expr>): Evaluator {
  const { name, path } = expr
  const aliased = aliases.get(name)
  if (aliased !== undefined) {
    // an alias is resolved without the aliases themselves, so `SELECT a AS a` cannot recurse
    const target = compileExpr(aliased, new Map())
    return path.length === 0 ? target : (row) => walkPath(target(row), path)
  }
  const column = name.toLowerCase()
  if (!KNOWN_COLUMNS.has(column)) {
    const hint = ` (columns: ${[...KNOWN_COLUMNS].join(', ')}; payload fields are read as payload.${name})`
    throw sqlError(`unknown column "${name}"${hint}`, expr.pos.line, expr.pos.column)
  }
  // The payload is text (or bytes, when not UTF-8) as a column, and JSON when a path goes into it
  // (parsed once per row).
  if (column === 'payload' && path.length > 0) return (row) => walkPath(row.payloadJson(), path)
  if (path.length === 0) return (row) => row.column(column)
  return (row) => walkPath(row.column(column), path)
}

function compileBinary(op: Extract<Expr, { kind: 'binary' }>['op'], left: Evaluator, right: Evaluator, expr: Expr): Evaluator {
  switch (op) {
    case 'AND':
      return (row) => isTruthy(left(row)) && isTruthy(right(row))
    case 'OR':
      return (row) => isTruthy(left(row)) || isTruthy(right(row))
    case '=':
      return (row) => valuesEqual(left(row), right(row))
    case '!=':
      return (row) => !valuesEqual(left(row), right(row))
    case '<':
      return (row) => (compareValues(left(row), right(row)) ?? 0) < 0
    case '<=':
      return (row) => {
        const c = compareValues(left(row), right(row))
        return c !== undefined && c <= 0
      }
    case '>':
      return (row) => (compareValues(left(row), right(row)) ?? 0) > 0
    case '>=':
      return (row) => {
        const c = compareValues(left(row), right(row))
        return c !== undefined && c >= 0
      }
    case '=~':
      return compileTopicMatch(left, right, expr)
    case '||':
      return (row) => joinValues([left(row), right(row)])
    default:
      return compileArithmetic(op, left, right)
  }
}

/** `topic =~ 'sensors/+/temp'`: MQTT filter matching; a constant filter is validated at compile time. */
function compileTopicMatch(left: Evaluator, right: Evaluator, expr: Expr): Evaluator {
  if (expr.kind === 'binary' && expr.right.kind === 'literal') {
    const filter = expr.right.value
    const problem = typeof filter === 'string' ? checkTopicFilter(filter) : 'the right side of =~ must be a topic filter string'
    if (problem !== undefined) throw sqlError(problem, expr.right.pos.line, expr.right.pos.column)
  }
  return (row) => {
    const topic = left(row)
    const filter = right(row)
    return typeof topic === 'string' && typeof filter === 'string' && matchTopic(filter, topic)
  }
}

function compileArithmetic(op: '+' | '-' | '*' | '/' | '%', left: Evaluator, right: Evaluator): Evaluator {
  return (row) => {
    const a = left(row)
    const b = right(row)
    if (isNullish(a) || isNullish(b)) return null
    // '+' joins two strings, or a string that is not a number with anything (as EMQX does); bytes
    // are never a number, so they join too (as bytes)
    if (op === '+' && (Buffer.isBuffer(a) || Buffer.isBuffer(b))) return joinValues([a, b])
    if (op === '+' && typeof a === 'string' && (typeof b === 'string' || asNumber(a) === undefined)) return a + toText(b)
    if (op === '+' && typeof b === 'string' && asNumber(b) === undefined) return toText(a) + b
    const x = requireNumber(a, `operator ${op}`)
    const y = requireNumber(b, `operator ${op}`)
    switch (op) {
      case '+':
        return x + y
      case '-':
        return x - y
      case '*':
        return x * y
      case '/':
        if (y === 0) throw evaluationError('division by zero')
        return x / y
      default:
        if (y === 0) throw evaluationError('modulo by zero')
        return x % y
    }
  }
}

/** LIKE with a constant pattern parses it once; a computed pattern is parsed when it changes. */
function compileLike(patternExpr: Expr, pattern: Evaluator): (row: Row, subject: string) => boolean {
  if (patternExpr.kind === 'literal') {
    const parsed = parseLike(toText(patternExpr.value))
    return (_row, subject) => matchLike(parsed, subject)
  }
  let cachedText: string | undefined
  let cached: LikePattern = []
  return (row, subject) => {
    const text = toText(pattern(row))
    if (text !== cachedText) {
      cachedText = text
      cached = parseLike(text)
    }
    return matchLike(cached, subject)
  }
}
