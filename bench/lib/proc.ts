import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

let clockTicks: number | undefined

/** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of utime/stime in /proc/PID/stat. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100 // the Linux default on every common architecture
    }
  }
  return clockTicks
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/PID/stat. The command name in
 * field 2 may contain spaces and parentheses, so the fields are counted after its last ')'; utime and
 * stime are fields 14 and 15 (proc(5)).
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is field 3 (state), so field N is fields[N - 3]
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / clockTicksPerSecond()
}

/** Resident set size of a process in bytes (VmRSS in /proc/PID/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (match === null) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) * 1024
}

/** The soft limit on open files of a process (/proc/PID/limits). */
export function openFileLimit(pid: number | 'self' = 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8')
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits)
  if (match === null || match[1] === 'unlimited') return Number.MAX_SAFE_INTEGER
  return Number(match[1])
}

/** What the report says about the machine the figures come from. */
export interface MachineInfo {
  cpus: number
  cpuModel: string
  node: string
  mosquitto: string | undefined
  kernel: string
}

/** nproc, CPU model (from /proc/cpuinfo), Node.js and Mosquitto versions. */
export function describeMachine(mosquittoPath: string | undefined): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown'
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (match?.[1]) cpuModel = match[1].trim()
  } catch {
    // not Linux: keep what os.cpus() said
  }
  let nproc = cpus().length
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc
  } catch {
    // nproc missing: os.cpus() is close enough
  }
  let mosquitto: string | undefined
  if (mosquittoPath !== undefined) {
    try {
      // `mosquitto -h` prints its version on the first line and exits 3
      execFileSync(mosquittoPath, ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (error) {
      const out = String((error as { stdout?: string }).stdout ?? '')
      mosquitto = /version (\S+)/.exec(out)?.[1]
    }
  }
  let kernel = 'unknown'
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
  } catch {
    // not Linux
  }
  return { cpus: nproc, cpuModel, node: process.version, mosquitto, kernel }
}
