import type { BinaryOperator, Expr, FromSource, PathStep, Position, SelectField, SelectStatement } from './ast.js'
import { sqlError, tokenize, type Token } from './tokenizer.js'

/**
 * A recursive-descent parser for the rule SQL (EMQX / AWS IoT dialect):
 *
 *   statement  := SELECT field ("," field)* [FROM source ("," source)*] [WHERE expr]
 *   field      := "*" | expr [AS name]
 *   expr       := or;  or := and (OR and)*;  and := not (AND not)*;  not := NOT not | comparison
 *   comparison := additive [(= | != | <> | < | <= | > | >= | =~) additive | [NOT] LIKE additive
 *                 | [NOT] IN "(" expr ("," expr)* ")" | IS [NOT] NULL]
 *   additive   := multiplicative ((+ | - | "||") multiplicative)*
 *   multiplicative := unary ((* | / | %) unary)*;  unary := - unary | postfix
 *   postfix    := primary ("." name | "[" (number | string) "]")*
 *   primary    := literal | name | name "(" args ")" | CASE ... END | "(" expr ")"
 */
export function parseSql(source: string): SelectStatement {
  return new Parser(source).parseStatement()
}

const COMPARISONS = new Set(['=', '!=', '<>', '<', '<=', '>', '>=', '=~'])

/** Deepest nesting of parentheses, NOT and unary minus accepted; deeper SQL is an error, not a stack overflow. */
const MAX_DEPTH = 200

class Parser {
  private readonly tokens: Token[]
  private index = 0
  private depth = 0

  constructor(private readonly source: string) {
    this.tokens = tokenize(source)
  }

  parseStatement(): SelectStatement {
    this.expectKeyword('SELECT')
    const fields: SelectField[] = [this.parseField()]
    while (this.acceptPunct(',')) fields.push(this.parseField())
    const from: FromSource[] = []
    if (this.acceptKeyword('FROM')) {
      from.push(this.parseSource())
      while (this.acceptPunct(',')) from.push(this.parseSource())
    }
    const where = this.acceptKeyword('WHERE') ? this.parseExpr() : undefined
    this.expectEnd()
    return { fields, from, where }
  }

  private expectEnd(): void {
    const token = this.peek()
    if (token.kind !== 'eof') throw this.unexpected(token, 'the end of the statement')
  }

  private parseExpr(): Expr {
    return this.nested(() => this.parseOr())
  }

  /** Run a recursive step, refusing SQL nested deeper than MAX_DEPTH. */
  private nested<T>(step: () => T): T {
    if (++this.depth > MAX_DEPTH) {
      const token = this.peek()
      throw sqlError(`the expression is nested more than ${MAX_DEPTH} levels deep`, token.line, token.column)
    }
    try {
      return step()
    } finally {
      this.depth--
    }
  }

  private parseField(): SelectField {
    const token = this.peek()
    if (token.kind === 'operator' && token.value === '*') {
      this.index++
      return { kind: 'star', pos: position(token) }
    }
    const expr = this.parseExpr()
    const last = this.tokens[this.index - 1] as Token
    let name: string
    if (this.acceptKeyword('AS')) {
      const alias = this.next()
      if (alias.kind !== 'identifier' && alias.kind !== 'string') throw this.unexpected(alias, 'a name after AS')
      name = alias.value
    } else {
      name = defaultName(expr, this.source.slice(token.offset, last.end))
    }
    return { kind: 'expr', expr, name, pos: position(token) }
  }

  private parseSource(): FromSource {
    const token = this.next()
    if (token.kind !== 'string') throw this.unexpected(token, 'a quoted topic filter or "$events/..." source')
    return { text: token.value, pos: position(token) }
  }

  private parseOr(): Expr {
    let left = this.parseAnd()
    for (let op = this.peek(); this.acceptKeyword('OR'); op = this.peek()) left = binary('OR', left, this.parseAnd(), op)
    return left
  }

  private parseAnd(): Expr {
    let left = this.parseNot()
    for (let op = this.peek(); this.acceptKeyword('AND'); op = this.peek()) left = binary('AND', left, this.parseNot(), op)
    return left
  }

  private parseNot(): Expr {
    const token = this.peek()
    if (this.acceptKeyword('NOT')) return { kind: 'unary', op: 'NOT', operand: this.nested(() => this.parseNot()), pos: position(token) }
    return this.parseComparison()
  }

  private parseComparison(): Expr {
    const subject = this.parseAdditive()
    const token = this.peek()
    if (token.kind === 'operator' && COMPARISONS.has(token.value)) {
      this.index++
      const op = (token.value === '<>' ? '!=' : token.value) as BinaryOperator
      return binary(op, subject, this.parseAdditive(), token)
    }
    if (this.acceptKeyword('IS')) {
      const negated = this.acceptKeyword('NOT')
      this.expectKeyword('NULL')
      return { kind: 'is-null', negated, subject, pos: position(token) }
    }
    const negated = this.peekKeyword('NOT') && (this.peekKeyword('LIKE', 1) || this.peekKeyword('IN', 1))
    if (negated) this.index++
    if (this.acceptKeyword('LIKE')) return { kind: 'like', negated, subject, pattern: this.parseAdditive(), pos: position(token) }
    if (this.acceptKeyword('IN')) {
      this.expectPunct('(')
      const list = [this.parseExpr()]
      while (this.acceptPunct(',')) list.push(this.parseExpr())
      this.expectPunct(')')
      return { kind: 'in', negated, subject, list, pos: position(token) }
    }
    return subject
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative()
    for (;;) {
      const token = this.peek()
      if (token.kind !== 'operator' || (token.value !== '+' && token.value !== '-' && token.value !== '||')) return left
      this.index++
      left = binary(token.value, left, this.parseMultiplicative(), token)
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary()
    for (;;) {
      const token = this.peek()
      if (token.kind !== 'operator' || (token.value !== '*' && token.value !== '/' && token.value !== '%')) return left
      this.index++
      left = binary(token.value, left, this.parseUnary(), token)
    }
  }

  private parseUnary(): Expr {
    const token = this.peek()
    if (token.kind === 'operator' && token.value === '-') {
      this.index++
      const operand = this.nested(() => this.parseUnary())
      if (operand.kind === 'literal' && typeof operand.value === 'number') return { ...operand, value: -operand.value, pos: position(token) }
      return { kind: 'unary', op: '-', operand, pos: position(token) }
    }
    if (token.kind === 'operator' && token.value === '+') {
      this.index++
      return this.nested(() => this.parseUnary())
    }
    return this.parsePostfix()
  }

  private parsePostfix(): Expr {
    const start = this.peek()
    const primary = this.parsePrimary()
    const path = this.parsePath()
    if (path.length === 0) return primary
    if (primary.kind === 'column') return { ...primary, path: [...primary.path, ...path] }
    return { kind: 'member', target: primary, path, pos: position(start) }
  }

  private parsePath(): PathStep[] {
    const path: PathStep[] = []
    for (;;) {
      if (this.acceptPunct('.')) {
        const name = this.next()
        // keywords are fine as field names: payload.end, payload.from
        if (name.kind !== 'identifier' && name.kind !== 'keyword') throw this.unexpected(name, 'a field name after "."')
        path.push(name.kind === 'keyword' ? this.source.slice(name.offset, name.end) : name.value)
      } else if (this.acceptPunct('[')) {
        const negative = this.peek().kind === 'operator' && this.peek().value === '-'
        if (negative) this.index++
        const key = this.next()
        if (key.kind === 'number' && /^\d+$/.test(key.value)) path.push(negative ? -Number(key.value) : Number(key.value))
        else if (key.kind === 'string' && !negative) path.push(key.value)
        else throw this.unexpected(key, 'an array index or a quoted field name inside [ ]')
        this.expectPunct(']')
      } else {
        return path
      }
    }
  }

  private parsePrimary(): Expr {
    const token = this.next()
    const pos = position(token)
    switch (token.kind) {
      case 'number':
        return { kind: 'literal', value: Number(token.value), pos }
      case 'string':
        return { kind: 'literal', value: token.value, pos }
      case 'identifier':
        if (this.acceptPunct('(')) return { kind: 'call', name: token.value.toLowerCase(), args: this.parseArguments(), pos }
        return { kind: 'column', name: token.value, path: [], pos }
      case 'keyword':
        if (token.value === 'NULL') return { kind: 'literal', value: null, pos }
        if (token.value === 'TRUE' || token.value === 'FALSE') return { kind: 'literal', value: token.value === 'TRUE', pos }
        if (token.value === 'CASE') return this.parseCase(pos)
        break
      case 'punct':
        if (token.value === '(') {
          const inner = this.parseExpr()
          this.expectPunct(')')
          return inner
        }
        break
      default:
        break
    }
    throw this.unexpected(token, 'an expression')
  }

  private parseArguments(): Expr[] {
    const args: Expr[] = []
    if (this.acceptPunct(')')) return args
    args.push(this.parseExpr())
    while (this.acceptPunct(',')) args.push(this.parseExpr())
    this.expectPunct(')')
    return args
  }

  /** `CASE [operand] WHEN x THEN y ... [ELSE z] END` */
  private parseCase(pos: Position): Expr {
    if (this.peekKeyword('ELSE') || this.peekKeyword('END')) throw this.unexpected(this.peek(), 'WHEN')
    const operand = this.peekKeyword('WHEN') ? undefined : this.parseExpr()
    const branches: Array<{ when: Expr; then: Expr }> = []
    while (this.acceptKeyword('WHEN')) {
      const when = this.parseExpr()
      this.expectKeyword('THEN')
      branches.push({ when, then: this.parseExpr() })
    }
    if (branches.length === 0) throw this.unexpected(this.peek(), 'WHEN')
    const otherwise = this.acceptKeyword('ELSE') ? this.parseExpr() : undefined
    this.expectKeyword('END')
    return { kind: 'case', operand, branches, otherwise, pos }
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)] as Token
  }

  private next(): Token {
    const token = this.peek()
    if (token.kind !== 'eof') this.index++
    return token
  }

  private peekKeyword(word: string, ahead = 0): boolean {
    const token = this.peek(ahead)
    return token.kind === 'keyword' && token.value === word
  }

  private acceptKeyword(word: string): boolean {
    if (!this.peekKeyword(word)) return false
    this.index++
    return true
  }

  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) throw this.unexpected(this.peek(), word)
  }

  private acceptPunct(char: string): boolean {
    const token = this.peek()
    if (token.kind !== 'punct' || token.value !== char) return false
    this.index++
    return true
  }

  private expectPunct(char: string): void {
    if (!this.acceptPunct(char)) throw this.unexpected(this.peek(), `"${char}"`)
  }

  private unexpected(token: Token, expected: string): Error {
    const found = token.kind === 'eof' ? 'the end of the SQL' : token.kind === 'string' ? `the string ${JSON.stringify(token.value)}` : `"${this.source.slice(token.offset, token.end)}"`
    return sqlError(`expected ${expected} but found ${found}`, token.line, token.column)
  }
}

function position(token: Token): Position {
  return { line: token.line, column: token.column }
}

function binary(op: BinaryOperator, left: Expr, right: Expr, token: Token): Expr {
  return { kind: 'binary', op, left, right, pos: position(token) }
}

/** An unaliased field is named after its last path step (`payload.temp` -> `temp`), else its text. */
function defaultName(expr: Expr, text: string): string {
  if (expr.kind === 'column') {
    const last = expr.path[expr.path.length - 1]
    return typeof last === 'string' ? last : expr.path.length === 0 ? expr.name : text
  }
  return text
}
