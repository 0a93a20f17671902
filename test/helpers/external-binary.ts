import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import type { TestContext } from 'node:test'

/** Full path of an executable: an absolute path if it exists, else the first match on PATH. */
export function findBinary(name: string): string | undefined {
  const candidates = isAbsolute(name) ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Interop tests need clients written by others. Outside CI a missing one skips the test (the caller
 * returns when this returns true); in CI (`CI` set) it fails the test, since .ci/run installs them.
 * `probe` is an extra check, e.g. that a Python module imports.
 */
export function skipWithout(t: TestContext, name: string, why = `${name} is not installed`, probe: () => boolean = () => findBinary(name) !== undefined): boolean {
  if (probe()) return false
  if (process.env.CI) throw new Error(`${why}; CI must install it (see .ci/run)`)
  t.skip(why)
  return true
}

/** True when `python` can import `module` (e.g. Debian's /usr/bin/python3 and paho.mqtt.client). */
export function pythonHasModule(python: string, module: string): boolean {
  if (findBinary(python) === undefined) return false
  return spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 10_000 }).status === 0
}

export interface ToolResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Run a command to completion with a safety timeout (it is killed and the promise rejects). */
export function runTool(command: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<ToolResult> {
  const timeoutMs = options.timeoutMs ?? 15_000
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** A long-running tool (a subscriber): its output so far and a way to wait for a line. */
export interface RunningTool {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves when stdout or stderr matches; rejects after `timeoutMs` or when the tool exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Resolves with the exit code when the tool exits by itself; rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<number | null>
  /** Kill it (SIGKILL unless told) and wait for it to go. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** Start a tool in the background; the caller kills it in `t.after`. */
export function startTool(command: string, args: string[]): RunningTool {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of [...listeners]) listener()
  }
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
    notify()
  })
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
    notify()
  })
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  child.once('error', () => notify())
  const gone = () => child.exitCode !== null || child.signalCode !== null
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out) ?? pattern.exec(err)
          if (match !== null) return finish(undefined, match)
          if (gone()) finish(new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`))
        }
        const timer = setTimeout(() => finish(new Error(`${command} did not print ${pattern} within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`)), timeoutMs)
        function finish(error: Error | undefined, match?: RegExpExecArray) {
          clearTimeout(timer)
          listeners.delete(check)
          if (error) reject(error)
          else resolve(match as RegExpExecArray)
        }
        listeners.add(check)
        void exit.then(check)
        check()
      })
    },
    exited(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${command} did not exit within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`)), timeoutMs)
      })
      return Promise.race([exit, timeout]).finally(() => clearTimeout(timer))
    },
    async kill(signal = 'SIGKILL') {
      if (!gone()) child.kill(signal)
      await exit
    },
  }
}
