import { HubError } from '../../src/errors.js'
import type { CoapResourceConfig } from './schema.js'

/**
 * Configured resource mappings: a Uri-Path template with `{name}` captures, each a whole segment,
 * mapped onto a topic template using the same names (`sensors/{device}/temp` ->
 * `devices/{device}/temperature`).
 */
export interface MappedResource {
  readonly config: CoapResourceConfig
  /** Captured values by name when `segments` is this resource's path, else undefined. */
  match(segments: readonly string[]): Record<string, string> | undefined
  /** The topic for the captured values. */
  topicFor(captures: Record<string, string>): string
}

const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** Compile the configured mappings; a topic placeholder with no capture of that name is a config error. */
export function compileResources(configs: readonly CoapResourceConfig[]): MappedResource[] {
  return configs.map((config) => compileResource(config))
}

function compileResource(config: CoapResourceConfig): MappedResource {
  const pattern = config.path.split('/').map((segment) => {
    const capture = CAPTURE.exec(segment)
    return capture ? { capture: capture[1] as string } : { literal: segment }
  })
  const names = new Set(pattern.flatMap((p) => ('capture' in p ? [p.capture] : [])))
  for (const [, name] of config.topic.matchAll(PLACEHOLDER)) {
    if (!names.has(name as string)) throw new HubError('HUB_ERR_CONFIG_INVALID', `coap.resources: topic "${config.topic}" uses {${name}}, which path "${config.path}" does not capture`)
  }
  if (pattern[0] !== undefined && 'literal' in pattern[0] && (pattern[0].literal === 'ps' || pattern[0].literal === '.well-known')) {
    throw new HubError('HUB_ERR_CONFIG_INVALID', `coap.resources: path "${config.path}" would hide the built-in /${pattern[0].literal} resource`)
  }
  return {
    config,
    match(segments) {
      if (segments.length !== pattern.length) return undefined
      const captures: Record<string, string> = {}
      for (let i = 0; i < pattern.length; i++) {
        const part = pattern[i]
        const segment = segments[i] as string
        if (part === undefined) return undefined
        if ('literal' in part) {
          if (part.literal !== segment) return undefined
        } else {
          if (segment.length === 0) return undefined
          captures[part.capture] = segment
        }
      }
      return captures
    },
    topicFor(captures) {
      return config.topic.replace(PLACEHOLDER, (_, name: string) => captures[name] ?? '')
    },
  }
}

/** One link of the RFC 6690 document: a target and its attributes. */
interface Link {
  href: string
  attrs: Record<string, string | number | true>
}

/**
 * `/.well-known/core` in CoRE Link Format (RFC 6690 §2): the `ps` publish-subscribe root and every
 * mapped resource (its path template as the target, the topic template as the title). `query` is
 * the request's Uri-Query values, filtered per RFC 6690 §4.1 (`name=value`, `*` as a suffix).
 */
export function renderLinkFormat(resources: readonly MappedResource[], query: readonly string[]): string {
  const links: Link[] = [
    { href: '/ps', attrs: { rt: 'core.ps', obs: true, title: 'MQTT topics: /ps/{topic}' } },
    ...resources.map((r) => {
      const attrs: Link['attrs'] = { rt: r.config.rt ?? 'junction.mapped', obs: true, title: r.config.topic }
      if (r.config.ct !== undefined) attrs.ct = r.config.ct
      return { href: `/${r.config.path}`, attrs }
    }),
  ]
  return links.filter((link) => query.every((q) => matchesFilter(link, q))).map(formatLink).join(',')
}

function formatLink(link: Link): string {
  let out = `<${link.href}>`
  for (const [name, value] of Object.entries(link.attrs)) {
    out += value === true ? `;${name}` : typeof value === 'number' ? `;${name}=${value}` : `;${name}="${value}"`
  }
  return out
}

function matchesFilter(link: Link, filter: string): boolean {
  const eq = filter.indexOf('=')
  if (eq < 0) return true
  const name = filter.slice(0, eq)
  const wanted = filter.slice(eq + 1)
  const value = name === 'href' ? link.href : link.attrs[name]
  if (value === undefined) return false
  const text = value === true ? '' : String(value)
  if (wanted.endsWith('*')) return text.startsWith(wanted.slice(0, -1))
  // Space-separated attributes such as rt match when any value matches (RFC 6690 §4.1)
  return text === wanted || text.split(' ').includes(wanted)
}
