import type { Message } from '../message.js'
import { encodePublish, type EncodedPublish } from './publish-encoder.js'

/**
 * The encode-once cache of the fan-out path. Broker.dispatch hands one message to every matching
 * subscription synchronously, so caching the forms of the most recent message is enough: each
 * distinct outgoing form (3.1.1 or 5.0, QoS, retain) is encoded once, and every subscriber of that
 * form gets the same bytes (QoS 1/2 subscribers get a copy with their packet identifier patched in).
 * Forms that differ per subscriber (subscription identifiers, topic aliases, message expiry, which
 * counts down) are encoded by the caller instead.
 */
let current: Message | undefined
// Index: (v5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0)
const forms: Array<EncodedPublish | undefined> = new Array<EncodedPublish | undefined>(12).fill(undefined)

/** The shared encoding of `message` in one form; do not mutate the returned bytes. */
export function sharedPublish(message: Message, v5: boolean, qos: 0 | 1 | 2, retain: boolean): EncodedPublish {
  if (message !== current) {
    current = message
    forms.fill(undefined)
  }
  const index = (v5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0)
  let encoded = forms[index]
  if (encoded === undefined) {
    encoded = encodePublish({
      topic: message.topic,
      payload: message.payload,
      qos,
      retain,
      dup: false,
      v5: v5 ? { properties: message.properties } : undefined,
    })
    forms[index] = encoded
  }
  return encoded
}

/** Whether a message can use the shared encoding for a 5.0 client (no per-delivery properties). */
export function isSharable(message: Message): boolean {
  return message.expiresAt === undefined
}
