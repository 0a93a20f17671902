/**
 * CoAP observers (RFC 7641) on topic filters: each observation is a kernel subscription whose
 * messages go out as notifications, in order, one CON at a time per observation.
 */
import type { HubContext, Message, Unsubscribe } from '../../src/hub-context.js'
import { isExpired, remainingExpirySeconds } from '../../src/message.js'
import { blockOptions, etagOf, sliceBlock, type Block2Cache, type Representation } from './block2.js'
import { contentFormatOf } from './content-format.js'
import { encodeUint, OPTION, type RawOption } from './options.js'
import type { CoapEndpoint, CoapPeer } from './server.js'

export interface ObserveLimits {
  maxObserversPerPeer: number
  maxObservers: number
  maxQueuedNotifications: number
}

export interface ObserveDeps {
  ctx: HubContext
  limits: ObserveLimits
  /** Seconds after which a NON-only observer gets a CON notification (RFC 7641 §4.5). */
  conInterval: number
  blockSize: number
  block2: Block2Cache
}

export interface ObservationRequest {
  endpoint: CoapEndpoint
  peer: CoapPeer
  token: Buffer
  filter: string
  wildcard: boolean
  /** Key of the observed URI for Block2 follow-ups (see block2.ts). */
  uriKey: string
}

/** One registered observer. */
export class Observation {
  private readonly queue: Message[] = []
  private unsubscribe: Unsubscribe | undefined
  private active = false
  private inFlight = false
  private lastConAt = Date.now()
  /** Message ids of recent NON notifications, so that a Reset to one ends the observation. */
  readonly recentNonIds: number[] = []
  ended = false

  constructor(
    readonly request: ObservationRequest,
    private readonly registry: ObserveRegistry,
    private readonly deps: ObserveDeps,
  ) {}

  get key(): string {
    return observationKey(this.request.peer, this.request.token)
  }

  /** Subscribe in the kernel; messages queue until {@link activate} (after the first response). */
  subscribe(): void {
    this.unsubscribe = this.deps.ctx.subscribe(this.request.filter, (message) => this.enqueue(message), {
      qos: 2,
      owner: `coap:${this.request.peer.key}`,
      // A wildcard observer learns the matching retained messages as notifications, as an MQTT subscriber would
      deliverRetained: this.request.wildcard,
    })
  }

  enqueue(message: Message): void {
    if (this.ended) return
    if (this.queue.length >= this.deps.limits.maxQueuedNotifications) {
      // Drop-oldest: the newest state matters most to an observer (RFC 7641 §4.5.2 eventual consistency)
      this.drop(this.queue.shift() as Message, 'coap observer queue full')
    }
    this.queue.push(message)
    this.pump()
  }

  /** Start sending notifications; called once the registration's 2.05 has gone out. */
  activate(): void {
    this.active = true
    this.pump()
  }

  /**
   * Tell the observer it is over: a NON 5.03 without Observe ends an observation at the client
   * (RFC 7641 §3.2), as when the hub shuts down.
   */
  terminate(reason: string): void {
    if (this.ended) return
    this.end()
    try {
      this.request.endpoint.sendNonConfirmable(this.request.peer, { code: '5.03', token: this.request.token, payload: Buffer.from(reason) })
    } catch (error) {
      this.deps.ctx.log.debug({ err: error, peer: this.request.peer.key }, 'coap: observer not told about the end')
    }
  }

  /** End the observation and its kernel subscription. */
  end(): void {
    if (this.ended) return
    this.ended = true
    this.queue.length = 0
    this.unsubscribe?.()
    this.registry.forget(this)
  }

  private pump(): void {
    while (this.active && !this.inFlight && !this.ended && this.queue.length > 0) {
      const message = this.queue.shift() as Message
      if (isExpired(message)) continue
      try {
        this.send(message)
      } catch (error) {
        // This runs inside the publisher's dispatch: one unsendable notification must not fail the publish
        this.drop(message, 'coap notification could not be encoded')
        this.deps.ctx.log.warn({ err: error, topic: message.topic, peer: this.request.peer.key }, 'coap notification could not be sent')
      }
    }
  }

  /** Count a message this observer will not get and tell the rules engine (`$events/message_dropped`). */
  private drop(message: Message, reason: string): void {
    this.deps.ctx.stats.messagesDropped++
    this.deps.ctx.events.emit('message_dropped', { message, reason, clientId: `coap:${this.request.peer.key}` })
  }

  private send(message: Message): void {
    const { endpoint, peer, token } = this.request
    const now = Date.now()
    // CON when the message asked for reliability (QoS 1/2), and at least every conInterval so that a
    // NON-only observer that went away is noticed (RFC 7641 §4.5: at least every 24 hours)
    const confirmable = message.qos > 0 || now - this.lastConAt >= this.deps.conInterval * 1000
    const { payload, options } = this.renderNotification(message)
    const packet = { code: '2.05', token, payload, options }
    if (!confirmable) {
      this.rememberNonId(endpoint.sendNonConfirmable(peer, packet))
      return
    }
    const delivery = endpoint.sendConfirmable(peer, packet)
    this.inFlight = true
    this.lastConAt = now
    delivery.then(
      (outcome) => {
        this.inFlight = false
        // RFC 7641 §3.6: a Reset to a notification cancels the observation
        if (outcome === 'reset') this.end()
        else this.pump()
      },
      // RFC 7641 §4.5: a CON notification that times out ends the observation
      () => this.end(),
    )
  }

  private renderNotification(message: Message): { payload: Buffer; options: RawOption[] } {
    const options = representationOptions(message)
    options.push({ name: OPTION.Observe, value: encodeUint(this.registry.nextSequence()) })
    if (this.request.wildcard) {
      // The observer cannot know which topic matched; name it as Location-Path segments
      for (const level of message.topic.split('/')) options.push({ name: OPTION.LocationPath, value: Buffer.from(level) })
    }
    if (message.payload.length <= this.deps.blockSize) return { payload: message.payload, options }
    // RFC 7959 §3.4 / RFC 7641: a large notification carries its first block; the client GETs the rest
    const representation: Representation = { payload: message.payload, options, etag: etagOf(message.payload) }
    this.deps.block2.store(`${this.request.peer.key}|${this.request.uriKey}`, { ...representation, options: options.filter((o) => o.name !== OPTION.Observe) })
    const first = sliceBlock(message.payload, undefined, this.deps.blockSize)
    if (first === undefined) return { payload: message.payload, options }
    return { payload: first.payload, options: blockOptions(representation, first.block) }
  }

  private rememberNonId(messageId: number): void {
    this.recentNonIds.push(messageId)
    if (this.recentNonIds.length > 16) this.recentNonIds.shift()
  }
}

/** Content-Format and Max-Age of a message, as every response and notification carries them. */
export function representationOptions(message: Message): RawOption[] {
  const options: RawOption[] = []
  const contentFormat = message.properties.contentType === undefined ? undefined : contentFormatOf(message.properties.contentType)
  if (contentFormat !== undefined) options.push({ name: OPTION.ContentFormat, value: encodeUint(contentFormat) })
  // Message expiry left becomes Max-Age (DESIGN.md §6)
  const maxAge = remainingExpirySeconds(message)
  if (maxAge !== undefined) options.push({ name: OPTION.MaxAge, value: encodeUint(maxAge) })
  return options
}

function observationKey(peer: CoapPeer, token: Buffer): string {
  return `${peer.key}|${token.toString('hex')}`
}

/** Every observation of the bridge, by peer and token, with the limits applied. */
export class ObserveRegistry {
  private readonly observations = new Map<string, Observation>()
  private readonly perPeer = new Map<string, number>()
  private sequence = Math.floor(Math.random() * 0x10000)

  constructor(private readonly deps: ObserveDeps) {}

  get size(): number {
    return this.observations.size
  }

  /**
   * Register (or re-register, same peer and token: RFC 7641 §4.1) an observer. Undefined when a
   * limit is reached; the request then falls back to a plain GET (RFC 7641 §4.1).
   */
  register(request: ObservationRequest): Observation | undefined {
    this.cancel(request.peer, request.token)
    const peerCount = this.perPeer.get(request.peer.key) ?? 0
    if (peerCount >= this.deps.limits.maxObserversPerPeer || this.observations.size >= this.deps.limits.maxObservers) return undefined
    const observation = new Observation(request, this, this.deps)
    this.observations.set(observation.key, observation)
    this.perPeer.set(request.peer.key, peerCount + 1)
    observation.subscribe()
    return observation
  }

  /** Cancel the observation of `peer` with `token` (Observe=1, RFC 7641 §3.6); true if there was one. */
  cancel(peer: CoapPeer, token: Buffer): boolean {
    const observation = this.observations.get(observationKey(peer, token))
    observation?.end()
    return observation !== undefined
  }

  /** A Reset for a NON notification cancels its observation (RFC 7641 §3.6). */
  handleReset(peer: CoapPeer, messageId: number): void {
    for (const observation of this.observations.values()) {
      if (observation.request.peer.key === peer.key && observation.recentNonIds.includes(messageId)) observation.end()
    }
  }

  /** RFC 7641 §4.4: a 24-bit sequence that increases with every notification the bridge sends. */
  nextSequence(): number {
    this.sequence = (this.sequence + 1) & 0xffffff
    return this.sequence
  }

  forget(observation: Observation): void {
    if (this.observations.get(observation.key) !== observation) return
    this.observations.delete(observation.key)
    const peerKey = observation.request.peer.key
    const count = (this.perPeer.get(peerKey) ?? 1) - 1
    if (count <= 0) this.perPeer.delete(peerKey)
    else this.perPeer.set(peerKey, count)
  }

  /** End every observation, telling each observer why (bridge stop). */
  terminateAll(reason: string): void {
    for (const observation of [...this.observations.values()]) observation.terminate(reason)
  }
}
