import type Database from 'better-sqlite3'
import { MemoryRuleStore } from '../memory/memory-rule-store.js'
import type { StoredRule } from '../rule-store.js'
import type { GroupCommit } from './group-commit.js'

interface RuleRow {
  id: string
  definition: string
  enabled: number
  updated_at: number
}

/**
 * API-created rules in the `rules` table (the definition as JSON text). The memory store it extends is
 * the read mirror, loaded at open so that a row that does not decode is found at start, not later.
 */
export class SqliteRuleStore extends MemoryRuleStore {
  private readonly upsert: Database.Statement<[RuleRow]>
  private readonly remove: Database.Statement<[string]>

  constructor(
    db: Database.Database,
    private readonly commits: GroupCommit,
  ) {
    super()
    this.upsert = db.prepare('INSERT OR REPLACE INTO rules (id, definition, enabled, updated_at) VALUES (@id, @definition, @enabled, @updated_at)')
    this.remove = db.prepare('DELETE FROM rules WHERE id = ?')
    for (const row of db.prepare('SELECT id, definition, enabled, updated_at FROM rules').all() as RuleRow[]) {
      this.rules.set(row.id, { id: row.id, definition: JSON.parse(row.definition) as unknown, enabled: row.enabled === 1, updatedAt: row.updated_at })
    }
  }

  override put(rule: StoredRule): Promise<void> {
    const row: RuleRow = { id: rule.id, definition: JSON.stringify(rule.definition ?? null), enabled: rule.enabled ? 1 : 0, updated_at: rule.updatedAt }
    this.rules.set(rule.id, { ...rule })
    return this.commits.write(() => {
      this.upsert.run(row)
    })
  }

  override delete(id: string): Promise<boolean> {
    if (!this.rules.delete(id)) return Promise.resolve(false)
    return this.commits.write(() => this.remove.run(id)).then(() => true)
  }
}
