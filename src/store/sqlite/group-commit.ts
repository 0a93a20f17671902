import type Database from 'better-sqlite3'
import { HubError } from '../../errors.js'
import type { Logger } from '../../log.js'

interface Waiter {
  resolve(value: unknown): void
  reject(error: unknown): void
  result: unknown
}

/**
 * Group commit (DESIGN.md §3): every write of one event-loop turn runs inside one transaction, which
 * commits in a `setImmediate` callback, after the turn's I/O callbacks. A write's statements run at
 * once (so reads on the same connection see them), but its promise resolves only after COMMIT, so a
 * caller that awaits it before PUBACK/PUBREC/CONNACK acknowledges only committed state.
 */
export class GroupCommit {
  private waiters: Waiter[] = []
  private scheduled: NodeJS.Immediate | undefined
  private closed = false
  /** Transactions committed and writes they carried, for tests and logs. */
  readonly counters = { commits: 0, writes: 0 }

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
  ) {}

  /**
   * Run `apply` (synchronous statements) in the current turn's transaction and resolve with its
   * result once that transaction has committed.
   */
  write<T>(apply: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new HubError('HUB_ERR_SHUTTING_DOWN', 'the store is closed'))
    let result: T
    try {
      if (!this.db.inTransaction) {
        this.db.exec('BEGIN')
        this.scheduled = setImmediate(() => this.commit())
      }
      result = apply()
    } catch (error) {
      // A failed statement is undone on its own; errors such as a full disk or I/O errors roll back
      // the whole transaction, and then every write in it has failed too.
      if (!this.db.inTransaction) this.failAll(error)
      return Promise.reject(storeError(error))
    }
    return new Promise<T>((resolve, reject) => this.waiters.push({ resolve: resolve as (value: unknown) => void, reject, result }))
  }

  /** Commit whatever is pending now (close, housekeeping). */
  flush(): void {
    this.commit()
  }

  /** Commit what is pending and refuse further writes. */
  close(): void {
    this.flush()
    this.closed = true
  }

  private commit(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled)
    this.scheduled = undefined
    if (!this.db.inTransaction) {
      if (this.waiters.length > 0) this.failAll(new Error('the transaction was rolled back'))
      return
    }
    const waiters = this.waiters
    this.waiters = []
    try {
      this.db.exec('COMMIT')
    } catch (error) {
      this.log.error({ err: error, writes: waiters.length }, 'store commit failed; the writes of this turn are lost')
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      for (const w of waiters) w.reject(storeError(error))
      return
    }
    this.counters.commits++
    this.counters.writes += waiters.length
    for (const w of waiters) w.resolve(w.result)
  }

  private failAll(error: unknown): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled)
    this.scheduled = undefined
    const waiters = this.waiters
    this.waiters = []
    this.log.error({ err: error, writes: waiters.length }, 'store transaction rolled back; the writes of this turn are lost')
    for (const w of waiters) w.reject(storeError(error))
  }
}

function storeError(error: unknown): HubError {
  return error instanceof HubError ? error : new HubError('HUB_ERR_STORE', `store write failed: ${(error as Error).message}`, { cause: error })
}
