import type Database from 'better-sqlite3'
import type { Message } from '../../message.js'
import { MemoryRetainedStore } from '../memory/memory-retained-store.js'
import type { GroupCommit } from './group-commit.js'
import { fromMessageRow, MESSAGE_COLUMN_NAMES, MESSAGE_PARAMS, pushMessageValues, type MessageRow } from './message-row.js'

/**
 * Retained messages in the `retained` table. The memory store it extends is the read mirror, loaded at
 * open and written through, so reads (every SUBSCRIBE, every HTTP/CoAP GET) never touch the disk.
 */
export class SqliteRetainedStore extends MemoryRetainedStore {
  private readonly upsert: Database.Statement
  private readonly remove: Database.Statement

  constructor(
    db: Database.Database,
    private readonly commits: GroupCommit,
  ) {
    super()
    this.upsert = db.prepare(`INSERT OR REPLACE INTO retained (${MESSAGE_COLUMN_NAMES}) VALUES (${MESSAGE_PARAMS})`)
    this.remove = db.prepare('DELETE FROM retained WHERE topic = ?')
    for (const row of db.prepare(`SELECT ${MESSAGE_COLUMN_NAMES} FROM retained`).all() as MessageRow[]) {
      this.messages.set(row.topic, fromMessageRow(row))
    }
  }

  override set(message: Message): Promise<void> {
    // [MQTT-3.3.1-6] a retained message with an empty payload removes the retained message
    if (message.payload.length === 0) return this.delete(message.topic).then(() => undefined)
    this.messages.set(message.topic, message)
    const values = pushMessageValues([], message)
    return this.commits.write(() => {
      this.upsert.run(values)
    })
  }

  override delete(topic: string): Promise<boolean> {
    if (!this.messages.delete(topic)) return Promise.resolve(false)
    return this.commits.write(() => this.remove.run(topic)).then(() => true)
  }

  /** Remove retained messages whose message expiry has passed; returns how many. */
  removeExpired(now: number): number {
    const expired: string[] = []
    for (const message of this.messages.values()) if (message.expiresAt !== undefined && message.expiresAt <= now) expired.push(message.topic)
    for (const topic of expired) void this.delete(topic).catch(() => undefined)
    return expired.length
  }
}
