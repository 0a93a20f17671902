/**
 * The syntax tree of a rule's SQL. The parser builds it once; the compiler turns it into closures.
 * Every node keeps the line and column it started at, for errors found after parsing.
 */

/**
 * A value as rule SQL sees it: JSON plus `undefined` for "no such field" (shown as null), plus bytes
 * (`Buffer`) for binary data, such as a payload that is not valid UTF-8. Bytes that are valid UTF-8 are
 * given to SQL as a string (see `bytesValue` in values.ts), so a Buffer always holds binary data.
 */
export type Value = null | undefined | boolean | number | string | Buffer | Value[] | { [key: string]: Value }

export interface Position {
  line: number
  column: number
}

/** One step into a JSON value: `.name`, `['name']` or `[index]` (0-based; negative counts from the end). */
export type PathStep = string | number

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '||' | '=' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | 'AND' | 'OR'

export type Expr =
  | { kind: 'literal'; value: Value; pos: Position }
  /** A column (`topic`, `payload`, `clientid`, ...) or a SELECT alias, with a path into its value. */
  | { kind: 'column'; name: string; path: PathStep[]; pos: Position }
  /** A path into the value of any other expression, e.g. `json_decode(x).a[0]`. */
  | { kind: 'member'; target: Expr; path: PathStep[]; pos: Position }
  | { kind: 'unary'; op: '-' | 'NOT'; operand: Expr; pos: Position }
  | { kind: 'binary'; op: BinaryOperator; left: Expr; right: Expr; pos: Position }
  | { kind: 'like'; negated: boolean; subject: Expr; pattern: Expr; pos: Position }
  | { kind: 'in'; negated: boolean; subject: Expr; list: Expr[]; pos: Position }
  | { kind: 'is-null'; negated: boolean; subject: Expr; pos: Position }
  | { kind: 'case'; operand: Expr | undefined; branches: Array<{ when: Expr; then: Expr }>; otherwise: Expr | undefined; pos: Position }
  | { kind: 'call'; name: string; args: Expr[]; pos: Position }

export type SelectField =
  | { kind: 'star'; pos: Position }
  /** `name` is the alias, or for an unaliased field the last path step or the expression's text. */
  | { kind: 'expr'; expr: Expr; name: string; pos: Position }

/** A FROM source: a topic filter or an `$events/...` event source, as written. */
export interface FromSource {
  text: string
  pos: Position
}

export interface SelectStatement {
  fields: SelectField[]
  from: FromSource[]
  where: Expr | undefined
}
