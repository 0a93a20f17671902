import { HubError } from '../../errors.js'
import type { Value } from '../sql/ast.js'
import { toBytes, toText, walkPath } from '../sql/values.js'

/**
 * `${field}` templates over a rule's selected fields (topic, payload, URL, headers, body). A field
 * name may be a path (`${payload.temp}`, `${list[0]}`) into a selected object; a field that is
 * missing renders as an empty string, an object or array as its JSON (binary data in it as base64).
 *
 * A template renders as text ({@link compileTemplate}: topics, URLs, headers, log messages, where
 * binary data renders as its UTF-8 decoding) or as bytes ({@link compileBytesTemplate}: payloads and
 * bodies, where the text parts are UTF-8 and binary data is copied raw, so `${payload}` alone gives
 * back the original bytes exactly).
 */
export type Template = (fields: Record<string, Value>) => string

/** A template rendered as bytes; see {@link compileBytesTemplate}. */
export type BytesTemplate = (fields: Record<string, Value>) => Buffer

type Reference = { field: string; path: Array<string | number> }
type Part = string | Reference

const PLACEHOLDER = /\$\{([^}]*)\}/g

/** Compile a text template once; an empty or unterminated `${` is an error naming the template. */
export function compileTemplate(text: string, where: string): Template {
  const parts = parseTemplate(text, where)
  if (parts.every((p) => typeof p === 'string')) return () => text
  return (fields) => {
    let out = ''
    for (const part of parts) out += typeof part === 'string' ? part : toText(resolve(fields, part))
    return out
  }
}

/**
 * Compile a template that renders to bytes (payloads and bodies): text parts and values as UTF-8,
 * binary data (Buffer values) copied as it is. Without binary data the bytes are the UTF-8 of what
 * {@link compileTemplate} renders; a template that is a single `${field}` holding binary data gives
 * exactly those bytes.
 */
export function compileBytesTemplate(text: string, where: string): BytesTemplate {
  const parts = parseTemplate(text, where)
  if (parts.every((p) => typeof p === 'string')) return () => Buffer.from(text, 'utf8')
  return (fields) => {
    let out = ''
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Part
      if (typeof part === 'string') {
        out += part
        continue
      }
      const value = resolve(fields, part)
      if (Buffer.isBuffer(value)) return renderWithBytes(parts, fields, i, out, value)
      out += toText(value)
    }
    return Buffer.from(out, 'utf8')
  }
}

/** The rest of a bytes template once part `index` turned out to be binary data; `before` is the text so far. */
function renderWithBytes(parts: readonly Part[], fields: Record<string, Value>, index: number, before: string, value: Buffer): Buffer {
  if (before === '' && index === parts.length - 1) return value
  const chunks: Buffer[] = before === '' ? [value] : [Buffer.from(before, 'utf8'), value]
  for (let i = index + 1; i < parts.length; i++) {
    const part = parts[i] as Part
    chunks.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : toBytes(resolve(fields, part)))
  }
  return Buffer.concat(chunks)
}

function parseTemplate(text: string, where: string): Part[] {
  const open = text.lastIndexOf('${')
  if (open >= 0 && !text.includes('}', open)) throw new HubError('HUB_ERR_RULE_INVALID', `${where}: unterminated \${ in template ${JSON.stringify(text)}`)
  const parts: Part[] = []
  let last = 0
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = (match[1] as string).trim()
    if (name === '') throw new HubError('HUB_ERR_RULE_INVALID', `${where}: empty \${} in template ${JSON.stringify(text)}`)
    if (match.index > last) parts.push(text.slice(last, match.index))
    parts.push(parseReference(name))
    last = match.index + match[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  return parts
}

/** Whether the text has any `${...}` placeholder. */
export function hasPlaceholders(text: string): boolean {
  return /\$\{[^}]*\}/.test(text)
}

/**
 * The topic filter a topic template can produce: each level holding a placeholder becomes `+`
 * (DESIGN.md §7 loop check). A placeholder's value could in principle hold a '/', which the run-time
 * hop limit covers.
 */
export function templateToFilter(template: string): string {
  return template
    .split('/')
    .map((level) => (hasPlaceholders(level) ? '+' : level))
    .join('/')
}

function parseReference(name: string): Reference {
  // a selected field named with a dot (SELECT x AS "a.b") wins over a path into field `a`
  const path: Array<string | number> = []
  const re = /([^.[\]]+)|\[(\d+)\]/g
  for (const m of name.matchAll(re)) path.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string))
  const [first, ...rest] = path
  return { field: name, path: [String(first ?? name), ...rest] }
}

function resolve(fields: Record<string, Value>, part: Reference): Value {
  if (Object.hasOwn(fields, part.field)) return fields[part.field]
  return walkPath(fields, part.path)
}
