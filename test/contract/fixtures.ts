import type { Message } from '../../src/message.js'
import type { OutgoingEntry, OutgoingInput, SessionStore } from '../../src/store/session-store.js'

let counter = 0

/** A message with every field of the model set, so a store that drops one is caught. */
export function fullMessage(topic: string, overrides: Partial<Message> = {}): Message {
  counter++
  return {
    id: `contract-${counter}`,
    topic,
    payload: Buffer.from([0, 1, 2, 0xff, counter & 0xff]),
    qos: 2,
    retain: true,
    properties: {
      payloadFormatIndicator: false,
      messageExpiryInterval: 3600,
      contentType: 'application/octet-stream',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([9, 8, 7]),
      userProperties: { a: '1', many: ['x', 'y'] },
    },
    origin: { protocol: 'mqtt', clientId: 'publisher', username: 'ann', hops: 1 },
    receivedAt: 1_700_000_000_000 + counter,
    expiresAt: 1_700_003_600_000 + counter,
    ...overrides,
  }
}

/** A message with only the required fields: optional ones must stay absent after a round trip. */
export function plainMessage(topic: string, payload = 'hello'): Message {
  counter++
  return { id: `plain-${counter}`, topic, payload: Buffer.from(payload), qos: 1, retain: false, properties: {}, origin: { protocol: 'http' }, receivedAt: 1_700_000_000_000 + counter }
}

/** Enqueue and wait until the store holds the entry; returns the entry as outgoing() will show it. */
export async function enqueued(store: SessionStore, clientId: string, input: OutgoingInput): Promise<OutgoingEntry> {
  const { seq, stored } = store.enqueue(clientId, input)
  await stored
  return { ...input, seq }
}
