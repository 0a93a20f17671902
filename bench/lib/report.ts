import type { MachineInfo } from './proc.js'
import { median, type Scenario } from './scenario.js'

/** Every round's figures of one scenario, by subject label. */
export interface ScenarioResult {
  scenario: Scenario
  /** subject -> one record of metrics per successful round */
  runs: Map<string, Array<Record<string, number>>>
  errors: string[]
}

export interface ReportInput {
  date: Date
  machine: MachineInfo
  command: string
  build: 'dist' | 'sources'
  rounds: number
  quick: boolean
  /** The code measured: `commit abc1234`, noting uncommitted changes. */
  revision: string
  /** os.loadavg() when the run started. */
  loadAverage: number[]
  results: ScenarioResult[]
  /** Scenarios left out and why (a feature not there yet). */
  skipped: Array<{ name: string; reason: string }>
}

/** One line of the targets summary. */
interface Check {
  scenario: string
  label: string
  value: number
  target: string
  met: boolean
}

function format(value: number, digits: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function medianOf(result: ScenarioResult, subject: string, metric: string): number {
  return median((result.runs.get(subject) ?? []).map((r) => r[metric]).filter((v): v is number => v !== undefined && Number.isFinite(v)))
}

/** Ratios and limits of one scenario, each with whether its target is met. */
export function checksOf(result: ScenarioResult): Array<Check & { hasTarget: boolean }> {
  const { scenario } = result
  const checks: Array<Check & { hasTarget: boolean }> = []
  for (const c of scenario.comparisons) {
    const value = medianOf(result, c.numerator, c.metric) / medianOf(result, c.denominator, c.metric)
    checks.push({
      scenario: scenario.name,
      label: `${c.label} (${scenario.metrics.find((m) => m.key === c.metric)?.label ?? c.metric})`,
      value,
      target: c.atLeast === undefined ? '-' : `>= ${c.atLeast}`,
      met: c.atLeast === undefined || value >= c.atLeast,
      hasTarget: c.atLeast !== undefined,
    })
  }
  for (const l of scenario.limits ?? []) {
    const value = medianOf(result, l.subject, l.metric)
    checks.push({ scenario: scenario.name, label: l.label, value, target: `<= ${format(l.atMost, 0)}`, met: value <= l.atMost, hasTarget: true })
  }
  return checks
}

/** Where Junction's code came from, and whether these are the figures to publish. */
function describeBuild(input: ReportInput): string {
  if (input.build === 'sources') return 'the TypeScript sources through tsx: a development check, NOT the official figures (`npm run bench` runs the compiled dist/)'
  if (input.quick) return 'compiled code (dist/), in short (--quick) runs: a check, not the official figures'
  return 'compiled code (dist/)'
}

/** docs/benchmarks.md: machine, command, method, a targets summary and one table per scenario. */
export function renderReport(input: ReportInput): string {
  const { machine } = input
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Written by \`bench/run.ts\` on ${input.date.toISOString().replace(/\.\d+Z$/, 'Z')}.`,
    '',
    `- Command: \`${input.command}\`, on ${input.revision}`,
    `- Machine: ${machine.cpus} CPUs (nproc), ${machine.cpuModel}, Linux ${machine.kernel}`,
    `- Node.js ${machine.node}; Mosquitto ${machine.mosquitto ?? 'not installed'}; Aedes from devDependencies`,
    `- Junction ran from ${describeBuild(input)}`,
    `- Load average when the run started: ${input.loadAverage.map((l) => l.toFixed(2)).join(', ')} (1, 5, 15 min; well above 0 means other work shared the CPUs and the figures are noisier)`,
    `- ${input.rounds} round(s)${input.quick ? ' of the short (--quick) runs' : ''}; in each round every subject runs once, alternately, each in a fresh process; tables show medians.`,
    '',
    '## Method',
    '',
    'The load generator is the project\'s own (bench/lib/mqtt-wire.ts): raw TCP sockets, packets encoded once with',
    'mqtt-packet, received frames split by their fixed header only, so that it costs little CPU. Every broker runs',
    'as a separate child process; its CPU time is utime + stime from /proc/PID/stat (in `getconf CLK_TCK` ticks)',
    'read before the first publish and after the last delivery, and memory is VmRSS from /proc/PID/status.',
    'Publishers stop after a fixed time, never run more than a window of undelivered messages ahead of the',
    'subscribers (so no broker has to drop or queue without bound) and wait on socket back-pressure.',
    'Junction runs with the memory store unless a scenario says otherwise, logs at `warn`, MQTT over TCP only.',
    'Aedes runs with its in-memory defaults behind a `net` server (bench/peers/aedes-server.ts); Mosquitto with',
    '`allow_anonymous true`, no persistence, no logging, otherwise its defaults.',
    '',
    'Run it with `npm run bench` (builds, then runs every scenario, 3 rounds, and rewrites this file). A subset:',
    '`npm run bench -- --scenario fan-in-qos0,latency --quick` (short runs, printed, not written); `--list` names',
    'the scenarios. bench/run.ts explains the other options.',
    '',
  ]
  const checks = input.results.flatMap((r) => checksOf(r).filter((c) => c.hasTarget))
  if (checks.length > 0) {
    lines.push('## Targets', '', '| scenario | check | measured | target | met |', '| --- | --- | ---: | --- | --- |')
    for (const c of checks) lines.push(`| ${c.scenario} | ${c.label} | ${format(c.value, c.value >= 100 ? 0 : 2)} | ${c.target} | ${c.met ? 'yes' : '**no**'} |`)
    lines.push('')
  }
  for (const result of input.results) {
    const { scenario } = result
    lines.push(`## ${scenario.title} (\`${scenario.name}\`, issue ${scenario.issue})`, '', scenario.description, '')
    lines.push(`| subject | ${scenario.metrics.map((m) => m.label).join(' | ')} | rounds |`)
    lines.push(`| --- | ${scenario.metrics.map(() => '---:').join(' | ')} | ---: |`)
    for (const subject of scenario.subjects) {
      const runs = result.runs.get(subject.label) ?? []
      const cells = scenario.metrics.map((m) => format(medianOf(result, subject.label, m.key), m.digits))
      lines.push(`| ${subject.label} | ${cells.join(' | ')} | ${runs.length} |`)
    }
    const ratios = checksOf(result)
    if (ratios.length > 0) {
      lines.push('', '| ratio or limit | value | target |', '| --- | ---: | --- |')
      for (const c of ratios) lines.push(`| ${c.label} | ${format(c.value, c.value >= 100 ? 0 : 2)} | ${c.target}${c.hasTarget ? (c.met ? ' (met)' : ' (**not met**)') : ''} |`)
    }
    if (result.errors.length > 0) {
      lines.push('', 'Runs that failed:', '')
      for (const e of result.errors) lines.push(`- ${e.split('\n')[0]}`)
    }
    lines.push('')
  }
  if (input.skipped.length > 0) {
    lines.push('## Not measured', '')
    for (const s of input.skipped) lines.push(`- \`${s.name}\`: ${s.reason}`)
    lines.push('')
  }
  return lines.join('\n')
}
