/**
 * Request deduplication (RFC 7252 §4.5): a CON or NON with the same message id from the same peer
 * within its lifetime is a duplicate, answered with the datagram the first copy got.
 */

export interface ExchangeRecord {
  expiresAt: number
  /** The datagram answered, resent for duplicates; undefined while the request is being handled. */
  reply?: Buffer
}

/** Remembered exchanges by peer and message id, bounded in number; expired ones are swept. */
export class ExchangeCache {
  private readonly records = new Map<string, ExchangeRecord>()
  private readonly sweeper: NodeJS.Timeout

  constructor(private readonly maxEntries: number) {
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref()
  }

  /** The live record for `key`, if the message was seen within its lifetime. */
  get(key: string): ExchangeRecord | undefined {
    const record = this.records.get(key)
    return record !== undefined && record.expiresAt > Date.now() ? record : undefined
  }

  /** Start a record for a new request, kept for `lifetimeMs`. */
  open(key: string, lifetimeMs: number): ExchangeRecord {
    const record: ExchangeRecord = { expiresAt: Date.now() + lifetimeMs }
    this.records.delete(key)
    this.records.set(key, record)
    // Bounded: the oldest records go first (Map keeps insertion order)
    while (this.records.size > this.maxEntries) {
      const oldest = this.records.keys().next().value
      if (oldest === undefined) break
      this.records.delete(oldest)
    }
    return record
  }

  close(): void {
    clearInterval(this.sweeper)
    this.records.clear()
  }

  private sweep(): void {
    const now = Date.now()
    for (const [key, record] of this.records) {
      if (record.expiresAt <= now) this.records.delete(key)
    }
  }
}
