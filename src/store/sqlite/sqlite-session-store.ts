import type Database from 'better-sqlite3'
import type { QoS } from '../../message.js'
import type { Enqueued, OutgoingEntry, OutgoingInput, SessionRecord, SessionStore, StoredSubscription } from '../session-store.js'
import type { GroupCommit } from './group-commit.js'
import { fromMessageRow, MESSAGE_COLUMN_NAMES, MESSAGE_PARAMS, pushMessageValues, type MessageRow } from './message-row.js'
import { prepareSessionStatements, readSessionRecords, type SessionStatements } from './session-rows.js'

/** What the store keeps in memory of one outgoing entry: enough to answer queueSize() and find by packet id. */
interface EntryMeta {
  state: OutgoingEntry['state']
  packetId?: number
  bytes: number
  expiresAt?: number
}

/** The in-memory index of one client's outgoing and incoming state; message bodies stay on disk. */
interface ClientIndex {
  entries: Map<number, EntryMeta>
  /** Packet id -> seq of the entry holding it (sent, released, or queued with an assigned id). */
  byPacketId: Map<number, number>
  queuedCount: number
  queuedBytes: number
  incoming: Set<number>
}

const DONE = Promise.resolve()

/** Session Expiry Interval meaning "never" (MQTT 5.0 §3.1.2.11.2). */
const NEVER_EXPIRES = 0xffffffff

/**
 * Sessions, subscriptions, delayed wills, outgoing queues and QoS 2 inbound packet ids in SQLite.
 * Session records and a small per-entry index (state, packet id, size) live in memory, so the hot
 * path (enqueue, queueSize, acknowledge) only writes; message bodies are read back in outgoing().
 * Removed entries are deleted just before the turn's COMMIT, consecutive sequence numbers in one
 * range statement: a subscriber acknowledges in order, so a turn's PUBACKs mostly cost one DELETE.
 */
export class SqliteSessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord>()
  private readonly clients = new Map<string, ClientIndex>()
  private readonly sql: SessionStatements
  private readonly insertOutgoing: Database.Statement
  private readonly selectOutgoing: Database.Statement
  private readonly deleteOutgoingRange: Database.Statement<[number, number]>
  private lastSeq = 0
  /** Sequence numbers of entries removed in this turn, deleted by deleteRemoved() before COMMIT. */
  private removed: number[] = []

  constructor(
    db: Database.Database,
    private readonly commits: GroupCommit,
  ) {
    this.sql = prepareSessionStatements(db)
    this.insertOutgoing = db.prepare(
      `INSERT INTO outgoing (seq, client_id, state, packet_id, delivery_qos, delivery_retain, subscription_ids, ${MESSAGE_COLUMN_NAMES})
       VALUES (?, ?, ?, ?, ?, ?, ?, ${MESSAGE_PARAMS})`,
    )
    this.selectOutgoing = db.prepare(`SELECT seq, state, packet_id, delivery_qos, delivery_retain, subscription_ids, ${MESSAGE_COLUMN_NAMES} FROM outgoing WHERE seq = ?`)
    this.deleteOutgoingRange = db.prepare('DELETE FROM outgoing WHERE seq BETWEEN ? AND ?')
    commits.beforeCommit(() => this.deleteRemoved())
    for (const record of readSessionRecords(db)) this.records.set(record.clientId, record)
    this.loadIndex(db)
  }

  async get(clientId: string): Promise<SessionRecord | undefined> {
    const record = this.records.get(clientId)
    return record === undefined ? undefined : cloneSession(record)
  }

  save(session: SessionRecord): Promise<void> {
    const record = cloneSession(session)
    this.records.set(record.clientId, record)
    return this.commits.write(() => this.sql.writeSession(record))
  }

  delete(clientId: string): Promise<void> {
    const seqs = [...(this.clients.get(clientId)?.entries.keys() ?? [])]
    this.records.delete(clientId)
    this.clients.delete(clientId)
    return this.commits.write(() => {
      this.sql.deleteSession(clientId)
      for (const seq of seqs) this.removed.push(seq)
    })
  }

  async list(): Promise<SessionRecord[]> {
    return [...this.records.values()].map(cloneSession)
  }

  enqueue(clientId: string, input: OutgoingInput): Enqueued {
    const seq = ++this.lastSeq
    const meta: EntryMeta = { state: input.state, bytes: input.message.payload.length }
    if (input.packetId !== undefined) meta.packetId = input.packetId
    if (input.message.expiresAt !== undefined) meta.expiresAt = input.message.expiresAt
    const index = this.indexOf(clientId)
    index.entries.set(seq, meta)
    if (meta.state === 'queued') countQueued(index, meta, 1)
    if (meta.packetId !== undefined) index.byPacketId.set(meta.packetId, seq)
    const values = pushMessageValues(
      [
        seq,
        clientId,
        input.state,
        input.packetId ?? null,
        input.qos,
        input.retain ? 1 : 0,
        input.subscriptionIds === undefined ? null : JSON.stringify(input.subscriptionIds),
      ],
      input.message,
    )
    return { seq, stored: this.commits.write(() => this.insertOutgoing.run(values)) }
  }

  async markSent(clientId: string, seq: number, packetId: number): Promise<void> {
    const index = this.clients.get(clientId)
    const meta = index?.entries.get(seq)
    if (index === undefined || meta === undefined) return
    if (meta.state === 'queued') countQueued(index, meta, -1)
    if (meta.packetId !== undefined && index.byPacketId.get(meta.packetId) === seq) index.byPacketId.delete(meta.packetId)
    meta.state = 'sent'
    meta.packetId = packetId
    index.byPacketId.set(packetId, seq)
    await this.commits.write(() => this.sql.markSent.run(packetId, seq))
  }

  async markReleased(clientId: string, packetId: number): Promise<void> {
    const index = this.clients.get(clientId)
    const seq = index?.byPacketId.get(packetId)
    const meta = seq === undefined ? undefined : index?.entries.get(seq)
    if (index === undefined || seq === undefined || meta === undefined) return
    if (meta.state === 'queued') countQueued(index, meta, -1)
    meta.state = 'released'
    await this.commits.write(() => this.sql.markReleased.run(seq))
  }

  // acknowledge and removeOutgoing run once per delivered message: no async wrapper, one promise per turn
  acknowledge(clientId: string, packetId: number): Promise<void> {
    const seq = this.clients.get(clientId)?.byPacketId.get(packetId)
    return seq === undefined ? DONE : this.removeOutgoing(clientId, seq)
  }

  removeOutgoing(clientId: string, seq: number): Promise<void> {
    const index = this.clients.get(clientId)
    const meta = index?.entries.get(seq)
    if (index === undefined || meta === undefined) return DONE
    if (meta.state === 'queued') countQueued(index, meta, -1)
    if (meta.packetId !== undefined && index.byPacketId.get(meta.packetId) === seq) index.byPacketId.delete(meta.packetId)
    index.entries.delete(seq)
    return this.commits.write(() => this.removed.push(seq))
  }

  async outgoing(clientId: string): Promise<OutgoingEntry[]> {
    // The index knows the client's entries in order; rows are found by primary key, so the table needs
    // no index by client (every insert and delete would pay for one). The open transaction of this turn
    // is on the same connection, so uncommitted writes are seen.
    const seqs = this.clients.get(clientId)?.entries.keys() ?? []
    return Array.from(seqs, (seq) => fromOutgoingRow(this.selectOutgoing.get(seq) as OutgoingRow))
  }

  async queueSize(clientId: string): Promise<{ count: number; bytes: number }> {
    const index = this.clients.get(clientId)
    return { count: index?.queuedCount ?? 0, bytes: index?.queuedBytes ?? 0 }
  }

  async addIncoming(clientId: string, packetId: number): Promise<void> {
    this.indexOf(clientId).incoming.add(packetId)
    await this.commits.write(() => this.sql.addIncoming.run(clientId, packetId))
  }

  async removeIncoming(clientId: string, packetId: number): Promise<void> {
    if (this.clients.get(clientId)?.incoming.delete(packetId) !== true) return
    await this.commits.write(() => this.sql.removeIncoming.run(clientId, packetId))
  }

  async incoming(clientId: string): Promise<number[]> {
    return [...(this.clients.get(clientId)?.incoming ?? [])]
  }

  async close(): Promise<void> {}

  /** Housekeeping: drop queued (never sent) entries whose message expiry passed; returns how many. */
  removeExpiredMessages(now: number): number {
    let removed = 0
    for (const [clientId, index] of this.clients) {
      for (const [seq, meta] of index.entries) {
        if (meta.state !== 'queued' || meta.expiresAt === undefined || meta.expiresAt > now) continue
        void this.removeOutgoing(clientId, seq).catch(() => undefined) // failures are logged by the group commit
        removed++
      }
    }
    return removed
  }

  /**
   * Housekeeping: delete offline sessions whose Session Expiry Interval has run out, counted in wall-clock
   * time from disconnectedAt. A session still holding a delayed will is left to the broker, which must
   * publish the will when the session ends (MQTT 5.0 §3.1.3.2); returns how many were deleted.
   */
  removeExpiredSessions(now: number): number {
    let removed = 0
    for (const record of [...this.records.values()]) {
      if (!isSessionExpired(record, now) || record.will !== undefined) continue
      void this.delete(record.clientId).catch(() => undefined)
      removed++
    }
    return removed
  }

  /** Delete the rows removed in this turn: runs of consecutive sequence numbers as one range each. */
  private deleteRemoved(): void {
    const seqs = this.removed
    if (seqs.length === 0) return
    this.removed = []
    seqs.sort((a, b) => a - b)
    let first = seqs[0] as number
    let last = first
    for (let i = 1; i <= seqs.length; i++) {
      const seq = seqs[i]
      if (seq === last + 1) {
        last = seq
        continue
      }
      if (first === last) this.sql.deleteOutgoing.run(first)
      else this.deleteOutgoingRange.run(first, last)
      if (seq === undefined) break
      first = last = seq
    }
  }

  private indexOf(clientId: string): ClientIndex {
    let index = this.clients.get(clientId)
    if (index === undefined) {
      index = { entries: new Map(), byPacketId: new Map(), queuedCount: 0, queuedBytes: 0, incoming: new Set() }
      this.clients.set(clientId, index)
    }
    return index
  }

  private loadIndex(db: Database.Database): void {
    const rows = db
      .prepare('SELECT seq, client_id, state, packet_id, length(payload) AS bytes, expires_at FROM outgoing ORDER BY seq')
      .all() as Array<{ seq: number; client_id: string; state: EntryMeta['state']; packet_id: number | null; bytes: number; expires_at: number | null }>
    for (const row of rows) {
      const index = this.indexOf(row.client_id)
      const meta: EntryMeta = { state: row.state, bytes: row.bytes }
      if (row.packet_id !== null) meta.packetId = row.packet_id
      if (row.expires_at !== null) meta.expiresAt = row.expires_at
      index.entries.set(row.seq, meta)
      if (meta.state === 'queued') countQueued(index, meta, 1)
      if (meta.packetId !== undefined) index.byPacketId.set(meta.packetId, row.seq)
      this.lastSeq = Math.max(this.lastSeq, row.seq)
    }
    for (const row of db.prepare('SELECT client_id, packet_id FROM incoming').all() as Array<{ client_id: string; packet_id: number }>) {
      this.indexOf(row.client_id).incoming.add(row.packet_id)
    }
  }
}

interface OutgoingRow extends MessageRow {
  seq: number
  state: OutgoingEntry['state']
  packet_id: number | null
  delivery_qos: number
  delivery_retain: number
  subscription_ids: string | null
}

function fromOutgoingRow(row: OutgoingRow): OutgoingEntry {
  const entry: OutgoingEntry = { seq: row.seq, state: row.state, qos: row.delivery_qos as QoS, message: fromMessageRow(row), retain: row.delivery_retain === 1 }
  if (row.packet_id !== null) entry.packetId = row.packet_id
  if (row.subscription_ids !== null) entry.subscriptionIds = JSON.parse(row.subscription_ids) as number[]
  return entry
}

function countQueued(index: ClientIndex, meta: EntryMeta, sign: 1 | -1): void {
  index.queuedCount += sign
  index.queuedBytes += sign * meta.bytes
}

/** True once an offline session's expiry interval has passed (wall clock, so downtime counts). */
function isSessionExpired(record: SessionRecord, now: number): boolean {
  if (record.disconnectedAt === undefined || record.expiryInterval === NEVER_EXPIRES) return false
  return record.disconnectedAt + record.expiryInterval * 1000 <= now
}

function cloneSession(s: SessionRecord): SessionRecord {
  const copy: SessionRecord = { ...s, subscriptions: s.subscriptions.map((x: StoredSubscription) => ({ ...x })) }
  if (s.will !== undefined) copy.will = { ...s.will }
  return copy
}
