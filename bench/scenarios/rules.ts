import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startJunction, type Target } from '../lib/brokers.js'
import type { RunContext, Scenario } from '../lib/scenario.js'
import { fanInSpec, runThroughput } from './mqtt.js'

const RULES = 1_000

/**
 * A rule file of `count` rules, each on its own topic filter; only the first matches the fan-in topics
 * (`bench/#`). That one has no action: every message is matched and its SQL runs, so the figure shows
 * what matching and evaluating costs, not what an action (a republish is a second publish) costs.
 */
function renderRules(count: number): string {
  const lines = ['- id: bench-match', '  sql: SELECT topic, clientid FROM "bench/#"']
  for (let i = 1; i < count; i++) {
    lines.push(`- id: fleet-${i}`, `  sql: SELECT payload.temp AS temp FROM "fleet/${i}/+/temp" WHERE payload.temp > 30`, '  actions:', `    - republish: { topic: "alerts/${i}" }`)
  }
  return `${lines.join('\n')}\n`
}

/** Junction with a generated rule file in a temp folder, removed when the target stops. */
async function startWithRules(ctx: RunContext, count: number): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-bench-rules-'))
  const rulesFile = join(dir, 'rules.yaml')
  writeFileSync(rulesFile, renderRules(count))
  try {
    const target = await startJunction(ctx, { rulesFile }, `junction-${count}-rules`)
    return { ...target, stop: () => target.stop().finally(() => rmSync(dir, { recursive: true, force: true })) }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** Issue 6: fan-in QoS 0 with 1,000 rules loaded against none. */
export const rulesFanInScenario: Scenario = {
  name: 'rules-fan-in',
  title: 'Fan-in QoS 0 with 1,000 rules loaded',
  issue: 6,
  description: `The fan-in QoS 0 run (4 publishers -> 1 subscriber on \`bench/#\`) on Junction with ${RULES.toLocaleString('en-US')} rules loaded from a file, each on its own topic filter, one of them (\`SELECT topic, clientid FROM "bench/#"\`, no action) matching every message, the others \`FROM "fleet/N/+/temp" WHERE payload.temp > 30\` with a republish; against Junction with no rules.`,
  subjects: [
    { label: `${RULES}-rules`, start: (ctx) => startWithRules(ctx, RULES) },
    { label: '0-rules', start: (ctx) => startJunction(ctx, {}, 'junction-0-rules') },
  ],
  metrics: [
    { key: 'perCpuSecond', label: 'delivered msg / broker CPU-s', digits: 0 },
    { key: 'perSecond', label: 'delivered msg / s', digits: 0 },
    { key: 'lost', label: 'lost', digits: 0 },
  ],
  comparisons: [
    { label: `${RULES} rules / 0 rules`, metric: 'perCpuSecond', numerator: `${RULES}-rules`, denominator: '0-rules', atLeast: 0.8 },
    { label: `${RULES} rules / 0 rules`, metric: 'perSecond', numerator: `${RULES}-rules`, denominator: '0-rules' },
  ],
  measure: (target, ctx) => runThroughput(target, fanInSpec(ctx, 0)),
}
