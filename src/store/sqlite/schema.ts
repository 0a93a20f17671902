import type Database from 'better-sqlite3'
import { HubError } from '../../errors.js'

/**
 * The message columns shared by `retained`, `outgoing` and `wills`: every field of a Message.
 * Buffers are BLOBs; properties and origin are JSON text (docs/storage.md).
 */
const MESSAGE_COLUMNS = `
  message_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  properties TEXT,
  origin TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER`

/** Schema versions, applied in order; `PRAGMA user_version` records the last one applied. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE retained (${MESSAGE_COLUMNS.replace('topic TEXT NOT NULL', 'topic TEXT PRIMARY KEY')}) STRICT;
  CREATE TABLE sessions (
    client_id TEXT PRIMARY KEY,
    protocol_version INTEGER NOT NULL,
    expiry_interval INTEGER NOT NULL,
    disconnected_at INTEGER
  ) STRICT;
  CREATE TABLE subscriptions (
    client_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    filter TEXT NOT NULL,
    qos INTEGER NOT NULL,
    no_local INTEGER,
    retain_as_published INTEGER,
    retain_handling INTEGER,
    subscription_id INTEGER,
    PRIMARY KEY (client_id, position)
  ) STRICT;
  CREATE TABLE wills (client_id TEXT PRIMARY KEY, publish_at INTEGER NOT NULL, ${MESSAGE_COLUMNS}) STRICT;
  CREATE TABLE outgoing (
    seq INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'released')),
    packet_id INTEGER,
    delivery_qos INTEGER NOT NULL,
    delivery_retain INTEGER NOT NULL,
    subscription_ids TEXT,
    ${MESSAGE_COLUMNS}
  ) STRICT;
  CREATE TABLE incoming (client_id TEXT NOT NULL, packet_id INTEGER NOT NULL, PRIMARY KEY (client_id, packet_id)) STRICT, WITHOUT ROWID;
  CREATE TABLE rules (id TEXT PRIMARY KEY, definition TEXT NOT NULL, enabled INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
  `,
]

/** Bring the file's schema to the current version; a file from a newer Junction is refused. */
export function migrateSchema(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > MIGRATIONS.length) {
    throw new HubError('HUB_ERR_STORE', `${file}: schema version ${version} was written by a newer Junction (this one knows ${MIGRATIONS.length})`)
  }
  const apply = db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string)
    db.pragma(`user_version = ${MIGRATIONS.length}`)
  })
  apply()
}
