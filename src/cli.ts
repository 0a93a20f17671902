#!/usr/bin/env -S node --max-semi-space-size=4
// A 4 MB young generation (V8's default grows to 16 MB): garbage is collected sooner, which keeps the
// resident memory of many idle connections about a third lower at no measured throughput cost
// (docs/benchmarks.md). `npm start` and the benchmark pass the same flag.
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig, resolveConfigFile } from './config/load.js'
import { isHubError } from './errors.js'
import { createHub, type Hub } from './index.js'
import { createLogger } from './log.js'
import { checkRuleFiles } from './rules/check-files.js'
import { runRulesTestCommand } from './rules/test-command.js'
import { VERSION as version } from './package-info.js'

const USAGE = `Usage: junction <command> [options]

Commands:
  start [--config FILE]          run the hub (default config: $JUNCTION_CONFIG, ./config/junction.yaml, or the embedded one)
        [--recover]              move a damaged database file aside (timestamped) and start with an empty store
  check-config [FILE]            validate a config file and the rule files it names; exits 1 with the problems
  rules test FILE --message JSON run every rule in a rule file against a sample message, offline
                                 (--event JSON for $events rules); exits 1 on an invalid file or SQL
  help                           this text
`


async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start':
      return start(rest)
    case 'check-config':
      return checkConfig(rest)
    case 'rules':
      return rulesCommand(rest)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 1 : 0
    case '--version':
    case 'version':
      process.stdout.write(`${version}\n`)
      return 0
    default:
      process.stderr.write(`junction: unknown command "${command}"\n\n${USAGE}`)
      return 1
  }
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, recover: { type: 'boolean' } }, strict: true })
  const file = resolveConfigFile(values.config)
  const { config } = loadConfig(file)
  // --recover: a damaged database file is moved aside and the hub starts empty (docs/storage.md)
  if (values.recover === true) config.storage.recover = true
  const log = createLogger(config.log.level)
  const hub = await createHub(config, { configFile: file, log })
  installShutdown(hub)
  await hub.start()
  printBanner(file, hub)
  return -1 // keep running
}

function checkConfig(args: string[]): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true })
  const file = resolveConfigFile(positionals[0])
  const { config } = loadConfig(file)
  const rules = checkRuleFiles(config.rules, dirname(file))
  process.stdout.write(`${file}: ok${config.rules.files.length > 0 ? ` (${rules} rules)` : ''}\n`)
  return 0
}

function rulesCommand(args: string[]): number {
  const [sub, ...rest] = args
  if (sub !== 'test') {
    process.stderr.write(`junction: unknown rules command "${sub ?? ''}"; expected: rules test FILE --message JSON\n`)
    return 1
  }
  return runRulesTestCommand(rest, process.stdout, process.stderr)
}

/** The human start-up banner on stderr; structured logs stay on stdout. */
function printBanner(file: string, hub: Hub): void {
  const lines = [`Junction ${version} ready (config ${file})`]
  for (const l of hub.listeners()) lines.push(`  ${l.name.padEnd(8)} ${l.url}`)
  process.stderr.write(`${lines.join('\n')}\n`)
}

function installShutdown(hub: Hub): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`Junction: ${signal} received, shutting down\n`)
    hub.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Junction: shutdown failed: ${String(error)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (error: unknown) => {
    if (isHubError(error) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`junction: ${(error as Error).message}\n`)
    } else {
      process.stderr.write(`junction: ${(error as Error).stack ?? String(error)}\n`)
    }
    process.exitCode = 1
  },
)
