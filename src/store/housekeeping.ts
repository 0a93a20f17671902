import { schedule, type ScheduledTask } from 'node-cron'
import type { Logger } from '../log.js'

/** A housekeeping job: does its work and says what it removed or reclaimed (name -> count). */
export type HousekeepingJob = () => Record<string, number> | Promise<Record<string, number>>

export interface HousekeepingSchedule {
  /** node-cron expression. */
  cron: string
  name: string
  job: HousekeepingJob
}

/** Running housekeeping jobs; `stop()` cancels them. */
export interface Housekeeping {
  /** Run one job now (tests, operators); resolves with what it reported. */
  run(name: string): Promise<Record<string, number>>
  stop(): void
}

/**
 * Run each job on its node-cron schedule, never two runs of one job at once, and log what every run
 * removed (DESIGN.md §3). A failing run is logged and the schedule carries on.
 */
export function startHousekeeping(schedules: HousekeepingSchedule[], log: Logger): Housekeeping {
  const runJob = async (s: HousekeepingSchedule): Promise<Record<string, number>> => {
    try {
      const report = await s.job()
      const total = Object.values(report).reduce((a, b) => a + b, 0)
      log[total > 0 ? 'info' : 'debug']({ job: s.name, ...report }, `housekeeping ${s.name}: ${describeReport(report)}`)
      return report
    } catch (error) {
      log.error({ err: error, job: s.name }, `housekeeping ${s.name} failed`)
      throw error
    }
  }
  const tasks: ScheduledTask[] = schedules.map((s) =>
    // unref: a pending schedule alone does not keep the process (or a test) alive
    schedule(s.cron, () => runJob(s).catch(() => undefined), { name: `junction-${s.name}`, noOverlap: true, unref: true }),
  )
  return {
    run(name) {
      const s = schedules.find((x) => x.name === name)
      if (s === undefined) return Promise.reject(new Error(`no housekeeping job named ${name}`))
      return runJob(s)
    },
    stop() {
      for (const task of tasks) void task.destroy()
    },
  }
}

function describeReport(report: Record<string, number>): string {
  const parts = Object.entries(report)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${what} ${n}`)
  return parts.length === 0 ? 'nothing to do' : parts.join(', ')
}
