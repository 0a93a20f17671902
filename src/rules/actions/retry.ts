/**
 * Exponential back-off for actions that talk to the network: wait `backoffMs`, then twice that,
 * and so on up to `maxBackoffMs`, for at most `attempts` tries in all.
 */
export interface RetryPolicy {
  attempts: number
  backoffMs: number
  maxBackoffMs: number
}

/** An error that retrying will not fix (e.g. HTTP 400): the attempt loop stops at once. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError'
}

/** Run `attempt` until it resolves, fails permanently, or the tries run out; the last error is thrown. */
export async function runWithRetry<T>(policy: RetryPolicy, signal: AbortSignal, onRetry: () => void, attempt: (n: number) => Promise<T>): Promise<T> {
  let delay = policy.backoffMs
  for (let n = 1; ; n++) {
    try {
      return await attempt(n)
    } catch (error) {
      if (error instanceof PermanentError || n >= policy.attempts || signal.aborted) throw error
    }
    onRetry()
    await sleep(Math.min(delay, policy.maxBackoffMs), signal)
    delay *= 2
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort)
      resolve()
    }, ms)
    const abort = () => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    }
    signal.addEventListener('abort', abort, { once: true })
  })
}
