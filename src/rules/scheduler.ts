import cron from 'node-cron'

/**
 * Run a function on a node-cron schedule (seconds allowed: `*\/30 * * * * *`). Returns a function
 * that stops and forgets the task. Overlapping runs are skipped rather than stacked.
 */
export function scheduleRun(expression: string, name: string, run: () => void | Promise<void>): () => Promise<void> {
  const task = cron.schedule(expression, run, { name, noOverlap: true })
  return async () => {
    await task.destroy()
  }
}
