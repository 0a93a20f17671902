import type { RuleStore, StoredRule } from '../rule-store.js'

/** API-created rules in process memory; also the read mirror of the SQLite rule store, which extends it. */
export class MemoryRuleStore implements RuleStore {
  protected readonly rules = new Map<string, StoredRule>()

  async list(): Promise<StoredRule[]> {
    return [...this.rules.values()].map((r) => ({ ...r }))
  }

  async get(id: string): Promise<StoredRule | undefined> {
    const rule = this.rules.get(id)
    return rule === undefined ? undefined : { ...rule }
  }

  async put(rule: StoredRule): Promise<void> {
    this.rules.set(rule.id, { ...rule })
  }

  async delete(id: string): Promise<boolean> {
    return this.rules.delete(id)
  }

  async close(): Promise<void> {}
}
