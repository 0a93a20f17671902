import { parseArgs } from 'node:util'
import { HubError } from '../errors.js'
import { toLoopNode } from './check-files.js'
import { dryRun } from './dry-run.js'
import { assertNoRuleLoop } from './loop-check.js'
import { readRuleFile } from './rule-files.js'
import { ruleTestSchema } from './rule-schema.js'
import { formatIssues } from './format-issues.js'

/**
 * `junction rules test FILE --message '{...}' [--event '{...}']`: validate a rule file offline and run
 * every rule's SQL against one sample, printing each rule's output. Returns the exit code: 1 when the
 * file, a rule's SQL or the sample is wrong.
 */
export function runRulesTestCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { message: { type: 'string', short: 'm' }, event: { type: 'string', short: 'e' } } })
  const [file, ...extra] = positionals
  if (file === undefined || extra.length > 0) {
    err.write(`usage: junction rules test FILE [--message '{"topic":"...","payload":{...}}'] [--event '{"event":"client_connected",...}']\n`)
    return 1
  }
  const sample = parseSample(values.message, values.event)
  const rules = readRuleFile(file)
  assertNoRuleLoop(rules.map(toLoopNode))
  let failures = 0
  for (const rule of rules) {
    const result = dryRun({ ...sample, sql: rule.sql })
    if (!result.ok) {
      failures++
      out.write(`${rule.id}: error: ${result.error}\n`)
    } else if (!result.matched) {
      out.write(`${rule.id}: not matched (the sample does not come from its FROM sources)\n`)
    } else if (!result.passed) {
      out.write(`${rule.id}: not passed (WHERE is false for the sample)\n`)
    } else {
      const binary = result.binary === undefined ? '' : ` (binary data as base64: ${result.binary.join(', ')})`
      out.write(`${rule.id}: passed ${JSON.stringify(result.output)}${binary}\n`)
    }
  }
  return failures > 0 ? 1 : 0
}

function parseSample(message: string | undefined, event: string | undefined): Omit<ReturnType<typeof ruleTestSchema.parse>, 'sql'> {
  const raw: Record<string, unknown> = { sql: 'SELECT 1' }
  for (const [name, text] of [['message', message], ['event', event]] as const) {
    if (text === undefined) continue
    try {
      raw[name] = JSON.parse(text) as unknown
    } catch (error) {
      throw new HubError('HUB_ERR_BAD_REQUEST', `--${name}: not JSON (${(error as Error).message})`)
    }
  }
  const result = ruleTestSchema.safeParse(raw)
  if (!result.success) throw new HubError('HUB_ERR_BAD_REQUEST', formatIssues('sample', result.error.issues))
  const { sql: _sql, ...rest } = result.data
  return rest
}
