import cron from 'node-cron'
import type { Logger } from '../log.js'

/**
 * Run a function on a node-cron schedule (seconds allowed: `*\/30 * * * * *`). A run still going when
 * the next tick is due (a webhook backing off) makes that tick skip rather than stack. node-cron's
 * own warnings go to the hub's structured log instead of the console. Returns a function that stops
 * and forgets the task.
 */
export function scheduleRun(expression: string, name: string, log: Logger, run: () => Promise<void> | undefined): () => Promise<void> {
  const task = cron.schedule(expression, () => run(), {
    name,
    noOverlap: true,
    logger: {
      info: (message) => log.debug({ schedule: name }, message),
      warn: (message) => log.warn({ schedule: name }, message),
      error: (message, err) => log.error({ schedule: name, err: err ?? message }, String(message)),
      debug: (message) => log.debug({ schedule: name }, String(message)),
    },
  })
  return async () => {
    await task.destroy()
  }
}
