/**
 * Rules created through the HTTP API, kept in the hub's store so they survive restarts (rules from
 * YAML files live in their files). `definition` is the rule as the API received it, already validated.
 */
export interface StoredRule {
  id: string
  definition: unknown
  enabled: boolean
  updatedAt: number
}

export interface RuleStore {
  list(): Promise<StoredRule[]>
  get(id: string): Promise<StoredRule | undefined>
  put(rule: StoredRule): Promise<void>
  delete(id: string): Promise<boolean>
  close(): Promise<void>
}
