import { HubError } from '../../errors.js'
import type { Value } from '../sql/ast.js'
import { toText, walkPath } from '../sql/values.js'

/**
 * `${field}` templates over a rule's selected fields (topic, payload, URL, headers, body). A field
 * name may be a path (`${payload.temp}`, `${list[0]}`) into a selected object; a field that is
 * missing renders as an empty string, an object or array as its JSON.
 */
export type Template = (fields: Record<string, Value>) => string

type Part = string | { field: string; path: Array<string | number> }

const PLACEHOLDER = /\$\{([^}]*)\}/g

/** Compile a template once; an empty or unterminated `${` is an error naming the template. */
export function compileTemplate(text: string, where: string): Template {
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
  if (parts.every((p) => typeof p === 'string')) return () => text
  return (fields) => {
    let out = ''
    for (const part of parts) out += typeof part === 'string' ? part : toText(resolve(fields, part))
    return out
  }
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

function parseReference(name: string): Part {
  // a selected field named with a dot (SELECT x AS "a.b") wins over a path into field `a`
  const path: Array<string | number> = []
  const re = /([^.[\]]+)|\[(\d+)\]/g
  for (const m of name.matchAll(re)) path.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string))
  const [first, ...rest] = path
  return { field: name, path: [String(first ?? name), ...rest] }
}

function resolve(fields: Record<string, Value>, part: Extract<Part, object>): Value {
  if (Object.hasOwn(fields, part.field)) return fields[part.field]
  return walkPath(fields, part.path)
}
