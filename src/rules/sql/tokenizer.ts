import { HubError } from '../../errors.js'

/**
 * The lexer of the rule SQL. It turns the text into tokens that carry their line and column, so that
 * every parse error can point at the place it was found (as EMQX's rule SQL errors do).
 */

export type TokenKind = 'keyword' | 'identifier' | 'number' | 'string' | 'operator' | 'punct' | 'eof'

export interface Token {
  kind: TokenKind
  /** Keywords are upper-cased; identifiers keep their spelling; strings are unescaped. */
  value: string
  /** Offsets of the first character and just past the last one in the source. */
  offset: number
  end: number
  line: number
  column: number
}

const KEYWORDS = new Set([
  'SELECT', 'AS', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'IS', 'NULL', 'TRUE', 'FALSE',
  'CASE', 'WHEN', 'THEN', 'ELSE', 'END',
])

/** Longest operators first so that `<=` wins over `<`. */
const OPERATORS = ['=~', '<=', '>=', '<>', '!=', '||', '=', '<', '>', '+', '-', '*', '/', '%']
const PUNCTUATION = new Set(['(', ')', '[', ']', ',', '.'])

/** A rule SQL error with the 1-based line and column it points at. */
export function sqlError(message: string, line: number, column: number): HubError {
  return new HubError('HUB_ERR_RULE_INVALID', `SQL error at line ${line}, column ${column}: ${message}`, { details: { line, column } })
}

/** Split rule SQL into tokens; the last one is always `eof`. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  let line = 1
  let lineStart = 0
  const at = (offset: number): { line: number; column: number } => ({ line, column: offset - lineStart + 1 })

  while (i < source.length) {
    const c = source[i] as string
    if (c === '\n') {
      i++
      line++
      lineStart = i
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++
      continue
    }
    // `-- comment` runs to the end of the line, as in standard SQL
    if (c === '-' && source[i + 1] === '-') {
      while (i < source.length && source[i] !== '\n') i++
      continue
    }
    const start = i
    const pos = at(start)
    if (isDigit(c)) {
      i = scanNumber(source, i)
      tokens.push({ kind: 'number', value: source.slice(start, i), offset: start, end: i, ...pos })
      continue
    }
    if (isIdentifierStart(c)) {
      while (i < source.length && isIdentifierPart(source[i] as string)) i++
      const word = source.slice(start, i)
      const upper = word.toUpperCase()
      tokens.push({ kind: KEYWORDS.has(upper) ? 'keyword' : 'identifier', value: KEYWORDS.has(upper) ? upper : word, offset: start, end: i, ...pos })
      continue
    }
    if (c === "'" || c === '"') {
      const { value, end, lines, lastLineStart } = scanString(source, i, pos)
      tokens.push({ kind: 'string', value, offset: start, end, ...pos })
      i = end
      if (lines > 0) {
        line += lines
        lineStart = lastLineStart
      }
      continue
    }
    const operator = OPERATORS.find((op) => source.startsWith(op, i))
    if (operator !== undefined) {
      tokens.push({ kind: 'operator', value: operator, offset: start, end: start + operator.length, ...pos })
      i += operator.length
      continue
    }
    if (PUNCTUATION.has(c)) {
      tokens.push({ kind: 'punct', value: c, offset: start, end: start + 1, ...pos })
      i++
      continue
    }
    throw sqlError(`unexpected character ${JSON.stringify(c)}`, pos.line, pos.column)
  }
  // the end is reported just after the last token, not after trailing blank lines
  const last = tokens[tokens.length - 1]
  const endOffset = last === undefined ? 0 : last.end
  tokens.push({ kind: 'eof', value: '', offset: endOffset, end: endOffset, ...(last === undefined ? { line: 1, column: 1 } : endOf(source, last)) })
  return tokens
}

/** Line and column just after a token (a string token may span lines). */
function endOf(source: string, token: Token): { line: number; column: number } {
  const text = source.slice(token.offset, token.end)
  const newline = text.lastIndexOf('\n')
  if (newline < 0) return { line: token.line, column: token.column + text.length }
  return { line: token.line + (text.match(/\n/g)?.length ?? 0), column: text.length - newline }
}

function scanNumber(source: string, start: number): number {
  let i = start
  while (isDigit(source[i])) i++
  if (source[i] === '.' && isDigit(source[i + 1])) {
    i++
    while (isDigit(source[i])) i++
  }
  if ((source[i] === 'e' || source[i] === 'E') && (isDigit(source[i + 1]) || ((source[i + 1] === '+' || source[i + 1] === '-') && isDigit(source[i + 2])))) {
    i += 2
    while (isDigit(source[i])) i++
  }
  return i
}

/** A quoted string; the quote character is doubled to include it (`'it''s'`), as in SQL. */
function scanString(source: string, start: number, pos: { line: number; column: number }): { value: string; end: number; lines: number; lastLineStart: number } {
  const quote = source[start]
  let i = start + 1
  let value = ''
  let lines = 0
  let lastLineStart = 0
  for (;;) {
    if (i >= source.length) throw sqlError('unterminated string', pos.line, pos.column)
    const c = source[i] as string
    if (c === quote) {
      if (source[i + 1] === quote) {
        value += quote
        i += 2
        continue
      }
      return { value, end: i + 1, lines, lastLineStart }
    }
    if (c === '\n') {
      lines++
      lastLineStart = i + 1
    }
    value += c
    i++
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9'
}

function isIdentifierStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_'
}

function isIdentifierPart(c: string): boolean {
  return isIdentifierStart(c) || isDigit(c)
}
