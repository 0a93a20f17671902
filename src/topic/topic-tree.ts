/**
 * A trie of topic filters, the index behind subscriptions, shared subscriptions and rules.
 * Matching walks only the branches a topic can reach (exact level, '+', '#'), so its cost depends on
 * the topic's depth and the matches, not on how many filters are stored (mosquitto subs.c does the same).
 */

interface Node<T> {
  children: Map<string, Node<T>> | undefined
  values: Set<T> | undefined
}

function newNode<T>(): Node<T> {
  return { children: undefined, values: undefined }
}

export class TopicTree<T> {
  private readonly root: Node<T> = newNode()
  private count = 0

  /** Number of (filter, value) pairs stored. */
  get size(): number {
    return this.count
  }

  /** Add a value under a filter; adding the same pair twice stores it once. */
  add(filter: string, value: T): void {
    let node = this.root
    for (const level of filter.split('/')) {
      node.children ??= new Map()
      let child = node.children.get(level)
      if (child === undefined) {
        child = newNode()
        node.children.set(level, child)
      }
      node = child
    }
    node.values ??= new Set()
    if (!node.values.has(value)) {
      node.values.add(value)
      this.count++
    }
  }

  /** Remove a value from a filter; prunes empty branches. Returns whether it was there. */
  remove(filter: string, value: T): boolean {
    const path: Array<[Node<T>, string]> = []
    let node: Node<T> | undefined = this.root
    for (const level of filter.split('/')) {
      const child: Node<T> | undefined = node.children?.get(level)
      if (child === undefined) return false
      path.push([node, level])
      node = child
    }
    if (!node.values?.delete(value)) return false
    this.count--
    if (node.values.size === 0) node.values = undefined
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i] as [Node<T>, string]
      const child = parent.children?.get(level)
      if (child === undefined || child.values !== undefined || (child.children?.size ?? 0) > 0) break
      parent.children?.delete(level)
    }
    return true
  }

  /** The values stored under exactly this filter. */
  get(filter: string): ReadonlySet<T> | undefined {
    let node: Node<T> | undefined = this.root
    for (const level of filter.split('/')) {
      node = node.children?.get(level)
      if (node === undefined) return undefined
    }
    return node.values
  }

  /**
   * Every value whose filter matches `topic`, appended to `out` (pass a reused array on hot paths to
   * match without allocating a callback or a result array per message).
   */
  match(topic: string, out: T[] = []): T[] {
    const levels = topic.split('/')
    // [MQTT-4.7.2-1] wildcards at the first level do not match '$' topics
    const dollar = topic.charCodeAt(0) === 0x24
    this.walk(this.root, levels, 0, dollar, out)
    return out
  }

  /** Every (filter, value) pair, for inspection APIs. */
  *entries(): Generator<[string, T]> {
    const stack: Array<[Node<T>, string]> = [[this.root, '']]
    while (stack.length > 0) {
      const [node, prefix] = stack.pop() as [Node<T>, string]
      if (node.values !== undefined && node !== this.root) for (const v of node.values) yield [prefix, v]
      if (node.children !== undefined) {
        for (const [level, child] of node.children) stack.push([child, prefix === '' && node === this.root ? level : `${prefix}/${level}`])
      }
    }
  }

  private walk(node: Node<T>, levels: string[], depth: number, dollar: boolean, out: T[]): void {
    const children = node.children
    if (children === undefined) return
    const skipWildcards = dollar && depth === 0
    if (!skipWildcards) {
      // '#' matches this level and everything below, including the parent itself [MQTT-4.7.1-2]
      const hash = children.get('#')
      if (hash?.values !== undefined) for (const v of hash.values) out.push(v)
    }
    if (depth === levels.length) return
    const level = levels[depth] as string
    const exact = children.get(level)
    if (exact !== undefined) this.collectOrDescend(exact, levels, depth, dollar, out)
    if (!skipWildcards) {
      const plus = children.get('+')
      if (plus !== undefined) this.collectOrDescend(plus, levels, depth, dollar, out)
    }
  }

  private collectOrDescend(node: Node<T>, levels: string[], depth: number, dollar: boolean, out: T[]): void {
    if (depth + 1 === levels.length && node.values !== undefined) for (const v of node.values) out.push(v)
    this.walk(node, levels, depth + 1, dollar, out)
  }
}
