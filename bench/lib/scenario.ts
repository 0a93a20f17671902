import type { JunctionBuild, Target } from './brokers.js'

/** Settings every scenario reads. */
export interface RunContext {
  /** Short runs for development checks; not for the published figures. */
  quick: boolean
  build: JunctionBuild
  /** A fresh prefix for client ids on each run. */
  runId: string
  /** Where Junction writes a V8 CPU profile of each run (`--cpu-prof DIR`); none when undefined. */
  cpuProfileDir?: string
}

/** One thing a scenario measures, e.g. delivered messages per broker CPU-second. */
export interface Metric {
  key: string
  label: string
  /** Digits after the decimal point in the report. */
  digits: number
}

/** A ratio of medians, optionally with the target the issue sets. */
export interface Comparison {
  label: string
  metric: string
  numerator: string
  denominator: string
  /** The ratio must be at least this (issue's "Done when"). */
  atLeast?: number
}

/** An absolute limit on one subject's median (e.g. bytes per idle connection). */
export interface Limit {
  label: string
  subject: string
  metric: string
  atMost: number
}

/** A broker (or bare server) a scenario runs against, started fresh for every round. */
export interface Subject {
  label: string
  start(ctx: RunContext): Promise<Target>
}

/** A benchmark scenario: subjects run alternately, round after round; the report shows medians. */
export interface Scenario {
  name: string
  title: string
  /** The issue whose acceptance criteria it checks. */
  issue: number
  description: string
  subjects: Subject[]
  metrics: Metric[]
  comparisons: Comparison[]
  limits?: Limit[]
  measure(target: Target, ctx: RunContext): Promise<Record<string, number>>
}

/** Median of a list of numbers (NaN when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
