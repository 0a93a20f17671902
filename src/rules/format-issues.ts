import type { z } from 'zod'

/** `prefix: key.path: expectation` lines, one per zod issue (the shape of config errors, src/config/load.ts). */
export function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${prefix}: ${issue.path.length > 0 ? issue.path.map(String).join('.') : '(rule)'}: ${issue.message}`)
    .join('\n')
}
