import type Database from 'better-sqlite3'
import type { QoS } from '../../message.js'
import type { SessionRecord, StoredSubscription } from '../session-store.js'
import { fromMessageRow, MESSAGE_COLUMN_NAMES, MESSAGE_PARAMS, pushMessageValues, type MessageRow } from './message-row.js'

/** The prepared statements of the session store; each runs inside the group commit's transaction. */
export interface SessionStatements {
  /** Replace a session row with its subscriptions and delayed will. */
  writeSession(record: SessionRecord): void
  /** Remove a session, its subscriptions, will and QoS 2 inbound ids (outgoing rows go by seq). */
  deleteSession(clientId: string): void
  markSent: Database.Statement<[number, number]>
  markReleased: Database.Statement<[number]>
  deleteOutgoing: Database.Statement<[number]>
  addIncoming: Database.Statement<[string, number]>
  removeIncoming: Database.Statement<[string, number]>
}

interface SubscriptionRow {
  client_id: string
  position: number
  filter: string
  qos: number
  no_local: number | null
  retain_as_published: number | null
  retain_handling: number | null
  subscription_id: number | null
}

/** Prepare the statements once per connection. */
export function prepareSessionStatements(db: Database.Database): SessionStatements {
  const upsertSession = db.prepare(
    'INSERT OR REPLACE INTO sessions (client_id, protocol_version, expiry_interval, disconnected_at) VALUES (?, ?, ?, ?)',
  )
  const insertSubscription = db.prepare(
    `INSERT INTO subscriptions (client_id, position, filter, qos, no_local, retain_as_published, retain_handling, subscription_id)
     VALUES (@client_id, @position, @filter, @qos, @no_local, @retain_as_published, @retain_handling, @subscription_id)`,
  )
  const insertWill = db.prepare(`INSERT INTO wills (client_id, publish_at, ${MESSAGE_COLUMN_NAMES}) VALUES (?, ?, ${MESSAGE_PARAMS})`)
  const byClient = ['sessions', 'subscriptions', 'wills', 'incoming'].map((table) => ({
    table,
    statement: db.prepare<[string]>(`DELETE FROM ${table} WHERE client_id = ?`),
  }))
  const deleteFrom = (tables: string[], clientId: string) => {
    for (const { table, statement } of byClient) if (tables.includes(table)) statement.run(clientId)
  }
  return {
    writeSession(record) {
      upsertSession.run(record.clientId, record.protocolVersion, record.expiryInterval, record.disconnectedAt ?? null)
      deleteFrom(['subscriptions', 'wills'], record.clientId)
      record.subscriptions.forEach((s, position) => insertSubscription.run(toSubscriptionRow(record.clientId, position, s)))
      if (record.will !== undefined) insertWill.run(pushMessageValues([record.clientId, record.will.publishAt], record.will.message))
    },
    deleteSession(clientId) {
      deleteFrom(['sessions', 'subscriptions', 'wills', 'incoming'], clientId)
    },
    markSent: db.prepare("UPDATE outgoing SET state = 'sent', packet_id = ? WHERE seq = ?"),
    markReleased: db.prepare("UPDATE outgoing SET state = 'released' WHERE seq = ?"),
    deleteOutgoing: db.prepare('DELETE FROM outgoing WHERE seq = ?'),
    addIncoming: db.prepare('INSERT OR IGNORE INTO incoming (client_id, packet_id) VALUES (?, ?)'),
    removeIncoming: db.prepare('DELETE FROM incoming WHERE client_id = ? AND packet_id = ?'),
  }
}

/** Every session with its subscriptions (in their saved order) and delayed will. */
export function readSessionRecords(db: Database.Database): SessionRecord[] {
  const records = new Map<string, SessionRecord>()
  const sessions = db.prepare('SELECT client_id, protocol_version, expiry_interval, disconnected_at FROM sessions').all() as Array<{
    client_id: string
    protocol_version: number
    expiry_interval: number
    disconnected_at: number | null
  }>
  for (const row of sessions) {
    const record: SessionRecord = {
      clientId: row.client_id,
      protocolVersion: row.protocol_version as SessionRecord['protocolVersion'],
      expiryInterval: row.expiry_interval,
      subscriptions: [],
    }
    if (row.disconnected_at !== null) record.disconnectedAt = row.disconnected_at
    records.set(row.client_id, record)
  }
  for (const row of db.prepare('SELECT * FROM subscriptions ORDER BY client_id, position').all() as SubscriptionRow[]) {
    records.get(row.client_id)?.subscriptions.push(fromSubscriptionRow(row))
  }
  const wills = db.prepare(`SELECT client_id, publish_at, ${MESSAGE_COLUMN_NAMES} FROM wills`).all() as Array<MessageRow & { client_id: string; publish_at: number }>
  for (const row of wills) {
    const record = records.get(row.client_id)
    if (record !== undefined) record.will = { message: fromMessageRow(row), publishAt: row.publish_at }
  }
  return [...records.values()]
}

/**
 * Rows that belong to no session: a clean session's in-flight state or queue left behind by a crash.
 * No client can resume them (a session without a record does not survive a restart), so they go.
 * Returns how many rows were removed per table.
 */
export function removeOrphanedRows(db: Database.Database): Record<string, number> {
  const removed: Record<string, number> = {}
  for (const table of ['subscriptions', 'wills', 'outgoing', 'incoming']) {
    const { changes } = db.prepare(`DELETE FROM ${table} WHERE client_id NOT IN (SELECT client_id FROM sessions)`).run()
    if (changes > 0) removed[table] = changes
  }
  return removed
}

function toSubscriptionRow(clientId: string, position: number, s: StoredSubscription): SubscriptionRow {
  return {
    client_id: clientId,
    position,
    filter: s.filter,
    qos: s.qos,
    no_local: s.noLocal === undefined ? null : s.noLocal ? 1 : 0,
    retain_as_published: s.retainAsPublished === undefined ? null : s.retainAsPublished ? 1 : 0,
    retain_handling: s.retainHandling ?? null,
    subscription_id: s.subscriptionId ?? null,
  }
}

function fromSubscriptionRow(row: SubscriptionRow): StoredSubscription {
  const s: StoredSubscription = { filter: row.filter, qos: row.qos as QoS }
  if (row.no_local !== null) s.noLocal = row.no_local === 1
  if (row.retain_as_published !== null) s.retainAsPublished = row.retain_as_published === 1
  if (row.retain_handling !== null) s.retainHandling = row.retain_handling as 0 | 1 | 2
  if (row.subscription_id !== null) s.subscriptionId = row.subscription_id
  return s
}
