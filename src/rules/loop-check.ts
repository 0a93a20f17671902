import { HubError } from '../errors.js'
import { templateToFilter } from './actions/template.js'

/**
 * Load-time loop detection (DESIGN.md §7): rule A feeds rule B when a topic A publishes to (a
 * republish topic template with `${...}` levels read as `+`, or its dead-letter topic) can match
 * one of B's FROM filters. A cycle in that graph is a republish loop and is rejected, naming it.
 */
export interface LoopNode {
  id: string
  /** FROM topic filters. */
  filters: readonly string[]
  /** Topic templates the rule publishes to. */
  outputs: readonly string[]
}

/** Throw HUB_ERR_RULE_LOOP (`rule loop: a -> b -> a`) when the rules feed each other in a cycle. */
export function assertNoRuleLoop(nodes: readonly LoopNode[]): void {
  const cycle = findRuleLoop(nodes)
  if (cycle !== undefined) throw new HubError('HUB_ERR_RULE_LOOP', `rule loop: ${cycle.join(' -> ')}`, { details: { cycle } })
}

/** The first cycle found, as rule ids from a rule back to itself, or undefined. Deterministic: rules are visited by id. */
export function findRuleLoop(nodes: readonly LoopNode[]): string[] | undefined {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const index = indexByFirstLevel(sorted)
  const edges = new Map<string, string[]>()
  for (const from of sorted) {
    const targets = new Set<string>()
    for (const output of from.outputs) {
      const levels = templateToFilter(output).split('/')
      for (const candidate of index.candidates(levels[0] as string)) {
        if (candidate.filters.some((filter) => levelsOverlap(levels, filter))) targets.add(candidate.id)
      }
    }
    edges.set(from.id, [...targets].sort())
  }
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'visiting')
    stack.push(id)
    for (const next of edges.get(id) ?? []) {
      const seen = state.get(next)
      if (seen === 'visiting') return [...stack.slice(stack.indexOf(next)), next]
      if (seen === undefined) {
        const cycle = visit(next)
        if (cycle !== undefined) return cycle
      }
    }
    stack.pop()
    state.set(id, 'done')
    return undefined
  }
  for (const node of sorted) {
    if (state.has(node.id)) continue
    const cycle = visit(node.id)
    if (cycle !== undefined) return cycle
  }
  return undefined
}

/**
 * Whether some topic name matches both filters (MQTT 5.0 §4.7): `#` matches the rest (and the parent
 * level), `+` any one level. [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic
 * starting with '$', so it cannot overlap with a filter whose first level is a literal `$...`.
 */
export function filtersOverlap(a: string, b: string): boolean {
  return levelsOverlap(a.split('/'), b.split('/'))
}

function levelsOverlap(x: readonly string[], y: readonly string[]): boolean {
  const dollarX = (x[0] ?? '').startsWith('$')
  const dollarY = (y[0] ?? '').startsWith('$')
  if ((dollarX && isWildcard(y[0])) || (dollarY && isWildcard(x[0]))) return false
  for (let i = 0; ; i++) {
    const p = x[i]
    const q = y[i]
    if (p === '#' || q === '#') return true
    if (p === undefined || q === undefined) return p === q
    if (p !== '+' && q !== '+' && p !== q) return false
  }
}

interface SplitNode {
  id: string
  filters: Array<readonly string[]>
}

/**
 * Rules by the first level of their FROM filters, so that finding the rules an output can reach does
 * not compare it with every rule: 1,000 rules load in linear rather than quadratic time.
 */
function indexByFirstLevel(nodes: readonly LoopNode[]): { candidates(first: string): SplitNode[] } {
  const byLevel = new Map<string, SplitNode[]>()
  const wildcard: SplitNode[] = []
  const all: SplitNode[] = []
  for (const node of nodes) {
    const split: SplitNode = { id: node.id, filters: node.filters.map((f) => f.split('/')) }
    all.push(split)
    const firsts = new Set(split.filters.map((levels) => levels[0] as string))
    for (const first of firsts) {
      if (isWildcard(first)) {
        if (!wildcard.includes(split)) wildcard.push(split)
      } else {
        const bucket = byLevel.get(first)
        if (bucket === undefined) byLevel.set(first, [split])
        else bucket.push(split)
      }
    }
  }
  return {
    candidates: (first) => (isWildcard(first) ? all : [...(byLevel.get(first) ?? []), ...wildcard]),
  }
}

function isWildcard(level: string | undefined): boolean {
  return level === '+' || level === '#'
}
