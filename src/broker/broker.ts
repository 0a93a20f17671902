import type { Deliver, PublishResult, SubOpts, Unsubscribe } from '../hub-context.js'
import type { Logger } from '../log.js'
import { createMessage, isExpired, type Message, type MessageInput, type Origin, type QoS } from '../message.js'
import type { HubStats } from '../stats.js'
import type { RetainedStore } from '../store/retained-store.js'
import { HubError } from '../errors.js'
import { SubscriptionIndex, type Subscriber, type Subscription } from './subscriptions.js'

export interface BrokerDeps {
  retained: RetainedStore
  stats: HubStats
  log: Logger
  /** Rule republish hops after which a message is dropped (DESIGN.md §7 safety). */
  maxHops?: number
  /** Told about every dropped message (rules engine `$events/message_dropped`). */
  onDrop?: (message: Message, reason: string) => void
}

/** What a publish started: how many subscriptions matched, and a promise while deliveries are stored. */
export interface DispatchOutcome {
  matched: number
  stored: Promise<unknown> | undefined
}

/**
 * The message router at the centre of the hub: one subscription index for every kind of subscriber,
 * the retained store, and the publish path (aedes `[storeRetained, emitPacket, ...]` steps).
 */
export class Broker {
  readonly subscriptions = new SubscriptionIndex()
  private internalIds = 0
  /** Reused match arrays, one per nesting level (a delivery may publish again synchronously). */
  private readonly matchBuffers: Subscription[][] = []
  private depth = 0

  constructor(private readonly deps: BrokerDeps) {}

  get retained(): RetainedStore {
    return this.deps.retained
  }

  /**
   * Route a complete message: store it when retained, hand it to every matching subscription.
   * Synchronous up to the deliveries, so that QoS 0 costs no promise; `stored` settles once every
   * durable step (retained write, persistent-session queueing) is done.
   */
  dispatch(message: Message): DispatchOutcome {
    const hops = message.origin.hops ?? 0
    const maxHops = this.deps.maxHops ?? 8
    if (hops > maxHops) {
      this.drop(message, `hop limit ${maxHops} exceeded`)
      throw new HubError('HUB_ERR_HOP_LIMIT', `message to ${message.topic} exceeded the hop limit of ${maxHops}`)
    }
    this.deps.stats.messagesIn[message.origin.protocol]++
    this.deps.stats.bytesIn += message.payload.length
    let pending: Array<Promise<unknown>> | undefined
    if (message.retain) pending = [this.deps.retained.set(message)]
    let matched = 0
    if (isExpired(message)) return { matched, stored: pending && Promise.all(pending) }
    const matches = this.matchBuffers[this.depth] ?? (this.matchBuffers[this.depth] = [])
    this.depth++
    try {
      this.subscriptions.match(message.topic, matches)
      for (let i = 0; i < matches.length; i++) {
        const subscription = matches[i] as Subscription
        // [MQTT-3.8.3-3] No Local: not sent to the connection that published it
        if (subscription.noLocal && message.origin.protocol === 'mqtt' && message.origin.clientId === subscription.subscriber.id) continue
        matched++
        const delivering = subscription.subscriber.deliver(message, subscription)
        if (delivering !== undefined) (pending ??= []).push(delivering)
      }
    } finally {
      matches.length = 0
      this.depth--
    }
    return { matched, stored: pending && (pending.length === 1 ? pending[0] : Promise.all(pending)) }
  }

  /** Build and route a message from an edge; resolves once it is accepted. */
  async publish(input: MessageInput, origin: Origin): Promise<PublishResult> {
    const message = createMessage(input, origin)
    const outcome = this.dispatch(message)
    if (outcome.stored !== undefined) await outcome.stored
    return { id: message.id, matched: outcome.matched }
  }

  /** Subscribe a kernel-side consumer (bridge, rule) to a filter. */
  subscribe(filter: string, deliver: Deliver, opts: SubOpts = {}): Unsubscribe {
    const maxQos = opts.qos ?? 2
    const subscriber: Subscriber = {
      id: opts.owner ?? `internal:${++this.internalIds}`,
      deliver: (message, subscription) => deliver(downgrade(message, subscription.qos)),
    }
    this.subscriptions.add(filter, { subscriber, qos: maxQos, noLocal: false, retainAsPublished: true, retainHandling: opts.deliverRetained ? 0 : 2 })
    if (opts.deliverRetained) {
      this.deps.retained.match(filter).then(
        (messages) => {
          for (const m of messages) if (!isExpired(m)) void deliver(downgrade(m, maxQos))
        },
        (error: unknown) => this.deps.log.error({ err: error, filter }, 'reading retained messages failed'),
      )
    }
    return () => {
      this.subscriptions.remove(filter, subscriber)
    }
  }

  /** Count and report a message that will not be delivered. */
  drop(message: Message, reason: string): void {
    this.deps.stats.messagesDropped++
    this.deps.onDrop?.(message, reason)
  }
}

/** The message at no more than `qos` (MQTT 5.0 §3.8.4: delivered at the minimum of both). */
export function downgrade(message: Message, qos: QoS): Message {
  return message.qos <= qos ? message : { ...message, qos }
}

export type { Subscription, Subscriber }
