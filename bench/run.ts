import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fromSources, MOSQUITTO_PATH, repoRoot, type JunctionBuild, type Target } from './lib/brokers.js'
import { describeMachine } from './lib/proc.js'
import { renderReport, type ScenarioResult } from './lib/report.js'
import type { RunContext, Scenario } from './lib/scenario.js'
import { notYetMeasured, scenarios } from './scenarios/index.js'

const USAGE = `Usage: npm run bench -- [options]
       node --import tsx bench/run.ts [options]   (development: Junction from the sources)

  --scenario NAME     run only these scenarios (repeat or comma-separate); default: all
  --quick             short runs, 1 round, no report file unless --out is given
  --rounds N          rounds per scenario (default 3, --quick 1)
  --out FILE          where to write the report (default docs/benchmarks.md for a full run)
  --no-write          print the report instead of writing it
  --junction MODE     dist | sources: run Junction compiled or through tsx (default: how bench runs)
  --cpu-prof DIR      write a V8 CPU profile of every Junction run into DIR (open it in Chrome DevTools)
  --list              list the scenarios
`

/** A run that hangs is a bug in a broker or in the harness: give up on it after this long. */
const RUN_TIMEOUT_MS = 120_000

interface Options {
  selected: Scenario[]
  quick: boolean
  rounds: number
  out: string | undefined
  build: JunctionBuild
  cpuProfileDir: string | undefined
}

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      junction: { type: 'string' },
      'cpu-prof': { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(USAGE)
    return undefined
  }
  if (values.list) {
    for (const s of scenarios) process.stdout.write(`${s.name.padEnd(22)} ${s.title} (issue ${s.issue})\n`)
    for (const s of notYetMeasured) process.stdout.write(`${s.name.padEnd(22)} not measured: ${s.reason}\n`)
    return undefined
  }
  const names = (values.scenario ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '')
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n))
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`)
  const selected = names.length === 0 ? scenarios : scenarios.filter((s) => names.includes(s.name))
  const rounds = values.rounds === undefined ? (values.quick ? 1 : 3) : Number(values.rounds)
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error(`--rounds must be an integer 1-20, got ${values.rounds}`)
  const build = (values.junction ?? (fromSources ? 'sources' : 'dist')) as JunctionBuild
  if (build !== 'dist' && build !== 'sources') throw new Error(`--junction must be dist or sources, got ${values.junction}`)
  const writeByDefault = !values.quick && names.length === 0
  const out = values['no-write'] ? undefined : (values.out ?? (writeByDefault ? 'docs/benchmarks.md' : undefined))
  const cpuProfileDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof'])
  return { selected, quick: values.quick, rounds, out: out === undefined ? undefined : resolve(repoRoot, out), build, cpuProfileDir }
}

/** `commit abc1234` of the repository, noting uncommitted changes; `unknown code` outside git. */
function describeRevision(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''
    return `commit ${commit}${dirty ? ' with uncommitted changes' : ''}`
  } catch {
    return 'unknown code (not a git checkout)'
  }
}

/** Run `fn`, or fail after `ms`. */
async function withTimeout<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([fn(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Every round runs every subject once, in turn, each in a fresh process. */
async function runScenario(scenario: Scenario, options: Options, runCounter: { n: number }): Promise<ScenarioResult> {
  const result: ScenarioResult = { scenario, runs: new Map(), errors: [] }
  for (let round = 1; round <= options.rounds; round++) {
    for (const subject of scenario.subjects) {
      const ctx: RunContext = { quick: options.quick, build: options.build, runId: `b${process.pid}r${runCounter.n++}`, cpuProfileDir: options.cpuProfileDir }
      const what = `${scenario.name} round ${round} ${subject.label}`
      let target: Target | undefined
      try {
        const figures = await withTimeout(what, RUN_TIMEOUT_MS, async () => {
          target = await subject.start(ctx)
          return scenario.measure(target, ctx)
        })
        const list = result.runs.get(subject.label) ?? []
        list.push(figures)
        result.runs.set(subject.label, list)
        const shown = Object.entries(figures).map(([k, v]) => `${k}=${Number.isInteger(v) || Math.abs(v) >= 100 ? Math.round(v) : v.toFixed(3)}`)
        process.stderr.write(`${what}: ${shown.join(' ')}\n`)
      } catch (error) {
        result.errors.push(`${what}: ${(error as Error).message}`)
        process.stderr.write(`${what}: FAILED ${(error as Error).message}\n`)
      } finally {
        await target?.stop()
      }
    }
  }
  return result
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  if (options === undefined) return 0
  if (options.build === 'sources') {
    process.stderr.write('bench: Junction runs from the TypeScript sources (tsx); official figures come from `npm run bench` (dist/).\n')
  }
  if (MOSQUITTO_PATH === undefined) process.stderr.write('bench: mosquitto is not installed (apt-get install mosquitto); comparing with Aedes only.\n')
  const started = Date.now()
  const loadAverage = loadavg()
  const revision = describeRevision()
  const results: ScenarioResult[] = []
  const runCounter = { n: 0 }
  for (const scenario of options.selected) results.push(await runScenario(scenario, options, runCounter))
  const report = renderReport({
    date: new Date(),
    machine: describeMachine(MOSQUITTO_PATH),
    command: options.build === 'dist' ? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}` : `node --import tsx bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    build: options.build,
    rounds: options.rounds,
    quick: options.quick,
    revision,
    loadAverage,
    results,
    skipped: notYetMeasured,
  })
  if (options.out !== undefined) {
    writeFileSync(options.out, report)
    process.stderr.write(`bench: wrote ${options.out}\n`)
  } else {
    process.stdout.write(report)
  }
  process.stderr.write(`bench: done in ${Math.round((Date.now() - started) / 1000)} s\n`)
  return results.some((r) => r.errors.length > 0) ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`)
    process.exitCode = 1
  },
)
