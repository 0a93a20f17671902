import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** Run from dist/ (npm test) the compiled CLI; run from the sources (tsx) the TypeScript one. */
const fromSources = import.meta.url.endsWith('.ts')
const repoRoot = fromSources ? resolve(here, '../..') : resolve(here, '../../..')
// tsx by its resolved URL: a bare `--import tsx` would be looked up from the child's cwd, which tests change
const cliArgs = fromSources ? ['--import', import.meta.resolve('tsx'), resolve(repoRoot, 'src/cli.ts')] : [resolve(repoRoot, 'dist/src/cli.js')]

export interface SpawnedHub {
  readonly child: ChildProcess
  /** Listener name -> port, read from the start-up banner. */
  readonly ports: Record<string, number>
  stdout(): string
  stderr(): string
  /** Send a signal and wait for the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface SpawnOptions {
  /** Extra CLI arguments after `start` (e.g. `--config file`). */
  args?: string[]
  /** Extra environment; ports default to 0 (OS-chosen), host to 127.0.0.1, logs to warn. */
  env?: Record<string, string>
  cwd?: string
  /** The CLI command; default `start`. */
  command?: string
}

/** The CLI as a child process, the way `npm start` runs it. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [...cliArgs, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Start the hub as a child process and wait for its banner. Rejects with its stderr if it exits first. */
export function spawnHub(options: SpawnOptions = {}): Promise<SpawnedHub> {
  const env = {
    JUNCTION_HOST: '127.0.0.1',
    JUNCTION_MQTT_PORT: '0',
    JUNCTION_WS_PORT: '0',
    JUNCTION_HTTP_PORT: '0',
    JUNCTION_COAP_PORT: '0',
    JUNCTION_LOG_LEVEL: 'warn',
    ...options.env,
  }
  const child = runCli([options.command ?? 'start', ...(options.args ?? [])], { env, cwd: options.cwd })
  let out = ''
  let err = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  return new Promise((resolveHub, reject) => {
    const onExit = (code: number | null) => reject(new Error(`hub exited with ${code} before it was ready:\n${err}\n${out}`))
    child.once('exit', onExit)
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
      const banner = err.indexOf(' ready (config ')
      if (banner < 0 || !err.slice(banner).includes('\n')) return
      // the banner is written in one piece: the ready line and one line per listener
      const ports: Record<string, number> = {}
      for (const line of err.slice(banner).split('\n').slice(1)) {
        const m = /^\s+(\S+)\s+([a-z]+:\/\/\S+)$/.exec(line)
        if (m) ports[m[1] as string] = Number(new URL(m[2] as string).port)
      }
      child.off('exit', onExit)
      resolveHub({
        child,
        ports,
        stdout: () => out,
        stderr: () => err,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode !== null || child.signalCode !== null) return exited
          child.kill(signal)
          return exited
        },
      })
    })
  })
}
