import type Database from 'better-sqlite3'
import { HubError } from '../../errors.js'
import type { Logger } from '../../log.js'

/** The transaction of one event-loop turn and the one promise every write in it shares. */
interface Batch {
  readonly committed: Promise<void>
  resolve(): void
  reject(error: unknown): void
  readonly scheduled: NodeJS.Immediate
  writes: number
}

/**
 * Group commit (DESIGN.md §3): every write of one event-loop turn runs inside one transaction, which
 * commits in a `setImmediate` callback, after the turn's I/O callbacks. A write's statements run at
 * once (so reads on the same connection see them), but its promise settles only after COMMIT, so a
 * caller that awaits it before PUBACK/PUBREC/CONNACK acknowledges only committed state. The writes
 * of a turn share one promise: thousands of writes per turn cost one promise, not thousands.
 */
export class GroupCommit {
  private batch: Batch | undefined
  private closed = false
  private readonly beforeCommitHooks: Array<() => void> = []
  /** Transactions committed and writes they carried, for tests and logs. */
  readonly counters = { commits: 0, writes: 0 }

  constructor(
    private readonly db: Database.Database,
    private readonly log: Logger,
  ) {}

  /**
   * Run `apply` (synchronous statements) in the current turn's transaction; the promise settles once
   * that transaction has committed. A statement that fails rejects this write alone. Failures are
   * logged, so a caller that need not wait may ignore the promise.
   */
  write(apply: () => void): Promise<void> {
    if (this.closed) return handled(Promise.reject(new HubError('HUB_ERR_SHUTTING_DOWN', 'the store is closed')))
    try {
      const batch = this.open()
      apply()
      batch.writes++
      return batch.committed
    } catch (error) {
      // A failed statement is undone on its own; errors such as a full disk or I/O errors roll back
      // the whole transaction, and then every write in it has failed too.
      if (this.db.inTransaction) this.log.error({ err: error }, 'store write failed')
      else this.fail(error)
      return handled(Promise.reject(storeError(error)))
    }
  }

  /**
   * Work that runs inside every transaction just before its COMMIT: a store's deferred statements,
   * coalesced over the turn (SqliteSessionStore deletes acknowledged entries by ranges there).
   */
  beforeCommit(hook: () => void): void {
    this.beforeCommitHooks.push(hook)
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

  private open(): Batch {
    if (this.batch !== undefined) return this.batch
    this.db.exec('BEGIN')
    let resolve!: () => void
    let reject!: (error: unknown) => void
    const committed = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    this.batch = { committed: handled(committed), resolve, reject, scheduled: setImmediate(() => this.commit()), writes: 0 }
    return this.batch
  }

  private commit(): void {
    const batch = this.batch
    if (batch === undefined) return
    this.batch = undefined
    clearImmediate(batch.scheduled)
    if (!this.db.inTransaction) {
      this.log.error({ writes: batch.writes }, 'store transaction rolled back; the writes of this turn are lost')
      batch.reject(storeError(new Error('the transaction was rolled back')))
      return
    }
    try {
      for (const hook of this.beforeCommitHooks) hook()
      this.db.exec('COMMIT')
    } catch (error) {
      this.log.error({ err: error, writes: batch.writes }, 'store commit failed; the writes of this turn are lost')
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      batch.reject(storeError(error))
      return
    }
    this.counters.commits++
    this.counters.writes += batch.writes
    batch.resolve()
  }

  private fail(error: unknown): void {
    const batch = this.batch
    if (batch === undefined) return
    this.batch = undefined
    clearImmediate(batch.scheduled)
    this.log.error({ err: error, writes: batch.writes }, 'store transaction rolled back; the writes of this turn are lost')
    batch.reject(storeError(error))
  }
}

/**
 * Writers that do not wait (queue bookkeeping) must not turn a failed write into an unhandled
 * rejection: failures are logged here, and callers that wait still see them.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

function storeError(error: unknown): HubError {
  return error instanceof HubError ? error : new HubError('HUB_ERR_STORE', `store write failed: ${(error as Error).message}`, { cause: error })
}
