import type Database from 'better-sqlite3'
import type { RuleStore, StoredRule } from '../rule-store.js'
import type { GroupCommit } from './group-commit.js'

interface RuleRow {
  id: string
  definition: string
  enabled: number
  updated_at: number
}

/** API-created rules in the `rules` table; the definition is kept as JSON text. */
export class SqliteRuleStore implements RuleStore {
  private readonly selectAll: Database.Statement<[], RuleRow>
  private readonly selectOne: Database.Statement<[string], RuleRow>
  private readonly upsert: Database.Statement
  private readonly remove: Database.Statement<[string]>

  constructor(
    db: Database.Database,
    private readonly commits: GroupCommit,
  ) {
    this.selectAll = db.prepare('SELECT id, definition, enabled, updated_at FROM rules ORDER BY id')
    this.selectOne = db.prepare('SELECT id, definition, enabled, updated_at FROM rules WHERE id = ?')
    this.upsert = db.prepare('INSERT OR REPLACE INTO rules (id, definition, enabled, updated_at) VALUES (@id, @definition, @enabled, @updated_at)')
    this.remove = db.prepare('DELETE FROM rules WHERE id = ?')
  }

  async list(): Promise<StoredRule[]> {
    return this.selectAll.all().map(fromRuleRow)
  }

  async get(id: string): Promise<StoredRule | undefined> {
    const row = this.selectOne.get(id)
    return row === undefined ? undefined : fromRuleRow(row)
  }

  put(rule: StoredRule): Promise<void> {
    const row: RuleRow = { id: rule.id, definition: JSON.stringify(rule.definition ?? null), enabled: rule.enabled ? 1 : 0, updated_at: rule.updatedAt }
    return this.commits.write(() => {
      this.upsert.run(row)
    })
  }

  delete(id: string): Promise<boolean> {
    return this.commits.write(() => this.remove.run(id).changes > 0)
  }

  async close(): Promise<void> {}
}

function fromRuleRow(row: RuleRow): StoredRule {
  return { id: row.id, definition: JSON.parse(row.definition) as unknown, enabled: row.enabled === 1, updatedAt: row.updated_at }
}
