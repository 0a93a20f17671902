import type { Message, QoS } from '../message.js'
import { TopicTree } from '../topic/topic-tree.js'
import { parseSharedFilter } from '../topic/validate.js'

/** Anything that receives messages from the kernel: an MQTT session, an SSE stream, a CoAP observer, a rule. */
export interface Subscriber {
  /** The MQTT client id for sessions; a descriptive id (`http:stream:3`) for internal subscribers. */
  readonly id: string
  /** Hand over one message for one matching subscription. A promise means the delivery is being stored. */
  deliver(message: Message, subscription: Subscription): void | Promise<void>
}

/** One subscription in the tree (MQTT 5.0 §3.8.3.1 options). */
export interface Subscription {
  /** The filter without any `$share/group/` prefix. */
  readonly filter: string
  readonly subscriber: Subscriber
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
  subscriptionId?: number
  readonly shareGroup?: string
}

/** The members of one `$share/{group}/{filter}`; each message goes to one of them (MQTT 5.0 §4.8.2). */
export class SharedGroup {
  readonly members: Subscription[] = []
  private next = 0

  constructor(
    readonly group: string,
    readonly filter: string,
  ) {}

  /** Round robin over the members. */
  pick(): Subscription | undefined {
    if (this.members.length === 0) return undefined
    if (this.next >= this.members.length) this.next = 0
    return this.members[this.next++]
  }
}

type Entry = Subscription | SharedGroup

/** The subscription index: one topic tree for MQTT sessions, bridges and rules alike. */
export class SubscriptionIndex {
  private readonly tree = new TopicTree<Entry>()
  private readonly groups = new Map<string, SharedGroup>()
  private total = 0

  get size(): number {
    return this.total
  }

  /** Add or replace (same subscriber, same full filter) a subscription; returns whether it existed. */
  add(fullFilter: string, subscription: Omit<Subscription, 'filter' | 'shareGroup'>): { subscription: Subscription; existed: boolean } {
    const shared = parseSharedFilter(fullFilter)
    const filter = shared ? shared.filter : fullFilter
    const existing = this.find(fullFilter, subscription.subscriber)
    if (existing !== undefined) {
      existing.qos = subscription.qos
      existing.noLocal = subscription.noLocal
      existing.retainAsPublished = subscription.retainAsPublished
      existing.retainHandling = subscription.retainHandling
      existing.subscriptionId = subscription.subscriptionId
      return { subscription: existing, existed: true }
    }
    const entry: Subscription = shared ? { ...subscription, filter, shareGroup: shared.group } : { ...subscription, filter }
    if (shared) {
      const key = `${shared.group}\u0000${filter}`
      let group = this.groups.get(key)
      if (group === undefined) {
        group = new SharedGroup(shared.group, filter)
        this.groups.set(key, group)
        this.tree.add(filter, group)
      }
      group.members.push(entry)
    } else {
      this.tree.add(filter, entry)
    }
    this.total++
    return { subscription: entry, existed: false }
  }

  /** Remove the subscriber's subscription to this (possibly shared) filter. */
  remove(fullFilter: string, subscriber: Subscriber): boolean {
    const existing = this.find(fullFilter, subscriber)
    if (existing === undefined) return false
    if (existing.shareGroup !== undefined) {
      const key = `${existing.shareGroup}\u0000${existing.filter}`
      const group = this.groups.get(key)
      if (group !== undefined) {
        group.members.splice(group.members.indexOf(existing), 1)
        if (group.members.length === 0) {
          this.groups.delete(key)
          this.tree.remove(existing.filter, group)
        }
      }
    } else {
      this.tree.remove(existing.filter, existing)
    }
    this.total--
    return true
  }

  find(fullFilter: string, subscriber: Subscriber): Subscription | undefined {
    const shared = parseSharedFilter(fullFilter)
    if (shared) {
      return this.groups.get(`${shared.group}\u0000${shared.filter}`)?.members.find((s) => s.subscriber === subscriber)
    }
    for (const entry of this.tree.get(fullFilter) ?? []) {
      if (!(entry instanceof SharedGroup) && entry.subscriber === subscriber) return entry
    }
    return undefined
  }

  /**
   * Append to `out` each subscription that gets a message on `topic`: one member per shared group.
   * The broker passes a reused array, so routing a message allocates no callback and no result array.
   */
  match(topic: string, out: Subscription[] = []): Subscription[] {
    const start = out.length
    // The tree's entries go into `out` first; shared groups are then replaced by the member they pick.
    const entries = out as Entry[]
    this.tree.match(topic, entries)
    let write = start
    for (let read = start; read < entries.length; read++) {
      const entry = entries[read] as Entry
      const subscription = entry instanceof SharedGroup ? entry.pick() : entry
      if (subscription !== undefined) out[write++] = subscription
    }
    out.length = write
    return out
  }

  *all(): Generator<Subscription> {
    for (const [, entry] of this.tree.entries()) {
      if (entry instanceof SharedGroup) yield* entry.members
      else yield entry
    }
  }
}
