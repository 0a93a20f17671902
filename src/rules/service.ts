/**
 * What the rules engine offers the HTTP API (`/api/v1/rules`). The rules engine implements it and
 * registers it as `ctx.services.provide('rules', ...)`; the HTTP bridge only calls it.
 * Errors are HubErrors: HUB_ERR_RULE_INVALID (with zod issues or a SQL position in `details`),
 * HUB_ERR_RULE_LOOP, HUB_ERR_NOT_FOUND, HUB_ERR_METHOD_NOT_ALLOWED (a file rule changed through the
 * API: file rules are read-only there), HUB_ERR_BAD_REQUEST (a test request of the wrong shape).
 */
export interface RulesService {
  list(): RuleView[]
  get(id: string): RuleView | undefined
  /** Validate and add an API rule; it is stored in the hub's store. */
  create(definition: unknown): Promise<RuleView>
  /** Replace an API rule (PUT). File rules cannot be changed through the API. */
  replace(id: string, definition: unknown): Promise<RuleView>
  remove(id: string): Promise<boolean>
  setEnabled(id: string, enabled: boolean): Promise<RuleView>
  /** Run SQL against a sample message without side effects (dry run). */
  test(request: unknown): Promise<RuleTestResult>
  /** The zod schemas the engine validates with, for the OpenAPI document. */
  readonly schemas: { rule: import('zod').ZodType; test: import('zod').ZodType }
}

export interface RuleMetrics {
  matched: number
  passed: number
  failed: number
  actionsSucceeded: number
  actionsFailed: number
  /** Retries of actions (HTTP back-off), each counted once. */
  retries: number
  /** Mean processing latency in milliseconds. */
  latencyMs: number
}

export interface RuleView {
  id: string
  source: 'file' | 'api'
  file?: string
  enabled: boolean
  definition: unknown
  metrics: RuleMetrics
}

/**
 * What a dry run gives: `matched` says whether the sample's topic matches one of the FROM filters
 * (true for rules without topic filters), `passed` whether WHERE let it through, `output` the
 * selected fields (null when it did not pass). An SQL error gives `ok: false` with its position.
 */
export type RuleTestResult = { ok: true; matched: boolean; passed: boolean; output: Record<string, unknown> | null } | { ok: false; error: string; line?: number; column?: number }
