import type { Message } from '../../message.js'
import { matchTopic } from '../../topic/match.js'
import { isWildcardFilter } from '../../topic/validate.js'
import type { RetainedStore } from '../retained-store.js'

/**
 * Retained messages in a Map; the default for tests and `storage.driver: memory`, and the read mirror
 * of the SQLite store, which extends it.
 */
export class MemoryRetainedStore implements RetainedStore {
  protected readonly messages = new Map<string, Message>()

  async set(message: Message): Promise<void> {
    // [MQTT-3.3.1-6] a retained message with an empty payload removes the retained message
    if (message.payload.length === 0) this.messages.delete(message.topic)
    else this.messages.set(message.topic, message)
  }

  async delete(topic: string): Promise<boolean> {
    return this.messages.delete(topic)
  }

  async get(topic: string): Promise<Message | undefined> {
    return this.messages.get(topic)
  }

  async match(filter: string): Promise<Message[]> {
    if (!isWildcardFilter(filter)) {
      const one = this.messages.get(filter)
      return one === undefined ? [] : [one]
    }
    const out: Message[] = []
    for (const [topic, message] of this.messages) if (matchTopic(filter, topic)) out.push(message)
    return out
  }

  async count(): Promise<number> {
    return this.messages.size
  }

  async close(): Promise<void> {}
}
