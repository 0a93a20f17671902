import type { Message } from '../message.js'

/**
 * Retained messages, one per topic (MQTT 5.0 §3.3.1.3). Every implementation runs
 * test/contract/retained-store.contract.ts.
 */
export interface RetainedStore {
  /** Store `message` as the topic's retained message; an empty payload clears it [MQTT-3.3.1-6]. */
  set(message: Message): Promise<void>
  /** Clear the topic's retained message; true when there was one. */
  delete(topic: string): Promise<boolean>
  get(topic: string): Promise<Message | undefined>
  /** Every retained message whose topic matches the filter (wildcards allowed; `$` rules apply). */
  match(filter: string): Promise<Message[]>
  count(): Promise<number>
  close(): Promise<void>
}
