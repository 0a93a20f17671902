import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunContext } from './scenario.js'

const here = dirname(fileURLToPath(import.meta.url))
/** Running as bench/*.ts through tsx (development) or as compiled dist/bench/*.js (`npm run bench`). */
export const fromSources = import.meta.url.endsWith('.ts')
export const repoRoot = fromSources ? resolve(here, '../..') : resolve(here, '../../..')

/** Debian's Mosquitto, if installed. */
export const MOSQUITTO_PATH = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p))

/**
 * Where Junction runs from. The official figures come from compiled code (`npm run bench` builds and
 * runs dist/); during development the sources run through tsx, and the report says so.
 */
export type JunctionBuild = 'dist' | 'sources'

/** A broker (or bare peer server) under test, running as its own process. */
export interface Target {
  readonly label: string
  readonly pid: number
  /** Ports by listener name: `mqtt`, `http`, `coap`. */
  readonly ports: Readonly<Record<string, number>>
  stop(): Promise<void>
}

/** Options for a Junction under test. */
export interface JunctionOptions {
  storage?: 'memory' | 'sqlite'
  http?: boolean
  coap?: boolean
  /** Absolute path of a rules file to load. */
  rulesFile?: string
}

/**
 * Spawn through `sh` so that the open-files limit is raised to the hard limit first (10,000 idle
 * connections need as many descriptors); `exec` keeps the broker's own pid, which /proc is read from.
 */
function spawnWithFileLimit(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot): ChildProcess {
  return spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', command, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** The environment without JUNCTION_* variables, so that the caller's own settings cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('JUNCTION_')) env[key] = value
  return env
}

/** How to run a TypeScript entry point of this repository: compiled from dist/ or through tsx. */
function nodeArgs(sourcePath: string, build: JunctionBuild): string[] {
  // tsx by its resolved URL, so that it is found whatever the child's working directory
  if (build === 'sources') return ['--import', import.meta.resolve('tsx'), resolve(repoRoot, sourcePath)]
  return [resolve(repoRoot, 'dist', sourcePath.replace(/\.ts$/, '.js'))]
}

/** Wait for `pattern` on a child's output; reject with what it printed if it exits or times out. */
function waitForOutput(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, label: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => finish(new Error(`${label} did not start within ${timeoutMs} ms:\n${err}${out}`)), timeoutMs)
    const onExit = (code: number | null) => finish(new Error(`${label} exited with ${code} before it was ready:\n${err}${out}`))
    const check = () => {
      const match = pattern.exec(stream === 'stdout' ? out : err)
      if (match !== null) finish(undefined, match)
    }
    const onOut = (d: Buffer) => {
      out += d.toString()
      check()
    }
    const onErr = (d: Buffer) => {
      err += d.toString()
      check()
    }
    function finish(error: Error | undefined, match?: RegExpExecArray) {
      clearTimeout(timer)
      child.off('exit', onExit)
      child.stdout?.off('data', onOut)
      child.stderr?.off('data', onErr)
      // keep draining so a chatty child never blocks on a full pipe
      child.stdout?.resume()
      child.stderr?.resume()
      if (error !== undefined) reject(error)
      else resolveMatch(match as RegExpExecArray)
    }
    child.once('exit', onExit)
    child.stdout?.on('data', onOut)
    child.stderr?.on('data', onErr)
  })
}

/** SIGTERM, then SIGKILL if the process has not exited after 5 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => {
      clearTimeout(timer)
      done()
    })
    child.kill('SIGTERM')
  })
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for one local benchmark run). */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Poll until a TCP port accepts connections. */
async function waitForTcp(port: number, label: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.destroy()
        done(true)
      })
      socket.once('error', () => done(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${label} is not accepting connections on port ${port}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Junction's CLI with a config written to a temp dir (memory or SQLite store in a temp data dir). */
export async function startJunction(ctx: RunContext, options: JunctionOptions = {}, label = 'junction'): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-bench-'))
  const configFile = join(dir, 'junction.yaml')
  const config = {
    host: '127.0.0.1',
    log: { level: 'warn' },
    storage: { driver: options.storage ?? 'memory', dataDir: join(dir, 'data') },
    mqtt: { tcp: { port: 0 }, ws: { enabled: false } },
    http: { enabled: options.http ?? false, port: 0 },
    coap: { enabled: options.coap ?? false, port: 0 },
    rules: { files: options.rulesFile === undefined ? [] : [options.rulesFile] },
  }
  // JSON is YAML: no need for a serialiser here
  writeFileSync(configFile, JSON.stringify(config, null, 2))
  const env = { ...cleanEnv(), JUNCTION_LOG_LEVEL: 'warn' }
  // the V8 flag the junction bin and `npm start` run with (see the top of src/cli.ts)
  const profile = ctx.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${ctx.cpuProfileDir}`, `--cpu-prof-name=${label}-${ctx.runId}.cpuprofile`]
  const child = spawnWithFileLimit(process.execPath, ['--max-semi-space-size=4', ...profile, ...nodeArgs('src/cli.ts', ctx.build), 'start', '--config', configFile], env)
  try {
    const banner = await waitForOutput(child, 'stderr', / ready \(config [^\n]*\n((?:\s+\S+\s+[a-z]+:\/\/\S+\n)+)/, label)
    const ports: Record<string, number> = {}
    for (const line of (banner[1] ?? '').split('\n')) {
      const m = /^\s+(\S+)\s+([a-z]+:\/\/\S+)$/.exec(line)
      if (m) ports[m[1] as string] = Number(new URL(m[2] as string).port)
    }
    if (ports.mqtt === undefined) throw new Error(`${label}: no mqtt listener in the banner:\n${banner[0]}`)
    return {
      label,
      pid: child.pid as number,
      ports,
      stop: async () => {
        await stopChild(child)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** A peer server of this repository (bench/peers/*.ts) that prints `listening <port>`. */
export async function startPeer(sourcePath: string, label: string, portName: string, build: JunctionBuild): Promise<Target> {
  const child = spawnWithFileLimit(process.execPath, nodeArgs(sourcePath, build), cleanEnv())
  try {
    const match = await waitForOutput(child, 'stdout', /listening (\d+)/, label)
    return { label, pid: child.pid as number, ports: { [portName]: Number(match[1]) }, stop: () => stopChild(child) }
  } catch (error) {
    await stopChild(child)
    throw error
  }
}

/** Aedes with its in-memory defaults (bench/peers/aedes-server.ts). */
export function startAedes(build: JunctionBuild): Promise<Target> {
  return startPeer('bench/peers/aedes-server.ts', 'aedes', 'mqtt', build)
}

/** Debian's Mosquitto on a free port, anonymous, no persistence, no logging. */
export async function startMosquitto(): Promise<Target> {
  if (MOSQUITTO_PATH === undefined) throw new Error('mosquitto is not installed')
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-bench-'))
  const port = await findFreePort()
  const configFile = join(dir, 'mosquitto.conf')
  writeFileSync(configFile, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest none', ''].join('\n'))
  const child = spawnWithFileLimit(MOSQUITTO_PATH, ['-c', configFile], cleanEnv(), dir)
  child.stdout?.resume()
  child.stderr?.resume()
  const cleanup = async () => {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForTcp(port, 'mosquitto')
  } catch (error) {
    await cleanup()
    throw error
  }
  return { label: 'mosquitto', pid: child.pid as number, ports: { mqtt: port }, stop: cleanup }
}
