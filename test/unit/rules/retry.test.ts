import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PermanentError, runWithRetry } from '../../../src/rules/actions/retry.js'

const policy = { attempts: 4, backoffMs: 1, maxBackoffMs: 4 }

test('an attempt that keeps failing is tried the stated number of times, and the last error is thrown', async () => {
  let tries = 0
  let retries = 0
  await assert.rejects(
    runWithRetry(policy, new AbortController().signal, () => retries++, async (n) => {
      tries++
      throw new Error(`failure ${n}`)
    }),
    /failure 4/,
  )
  assert.equal(tries, 4)
  assert.equal(retries, 3)
})

test('a later success ends the retries with its value', async () => {
  const result = await runWithRetry(policy, new AbortController().signal, () => {}, async (n) => {
    if (n < 3) throw new Error('not yet')
    return `ok on ${n}`
  })
  assert.equal(result, 'ok on 3')
})

test('a permanent error is not retried', async () => {
  let tries = 0
  await assert.rejects(
    runWithRetry(policy, new AbortController().signal, () => {}, async () => {
      tries++
      throw new PermanentError('400')
    }),
    /400/,
  )
  assert.equal(tries, 1)
})

test('aborting during a back-off wait ends the retries', async () => {
  const controller = new AbortController()
  let tries = 0
  const running = runWithRetry({ attempts: 5, backoffMs: 60_000, maxBackoffMs: 60_000 }, controller.signal, () => controller.abort(new Error('stopping')), async () => {
    tries++
    throw new Error('down')
  })
  await assert.rejects(running, /stopping/)
  assert.equal(tries, 1)
})
