import { Agent, request } from 'node:http'
import { cpuSeconds } from './proc.js'

/** Keep-alive HTTP requests from a fixed number of concurrent loops for a bounded time. */
export interface HttpLoadSpec {
  port: number
  path: string
  body: Buffer
  contentType: string
  concurrency: number
  durationMs: number
}

export interface RequestRateResult {
  requests: number
  /** Requests that failed or were answered with a status other than 2xx. */
  errors: number
  perSecond: number
  perCpuSecond: number
}

const REQUEST_TIMEOUT_MS = 10_000

/** Requests per second (and per server CPU-second) against the server process `serverPid`. */
export async function measureHttpRequests(serverPid: number, spec: HttpLoadSpec): Promise<RequestRateResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.concurrency })
  let requests = 0
  let errors = 0
  let stopped = false
  const post = () =>
    new Promise<void>((resolve) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port: spec.port,
          method: 'POST',
          path: spec.path,
          headers: { 'content-type': spec.contentType, 'content-length': spec.body.length },
        },
        (res) => {
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) errors++
          res.resume()
          res.once('end', resolve)
          res.once('error', () => resolve())
        },
      )
      req.once('error', () => {
        errors++
        resolve()
      })
      // a server that never answers fails this request instead of stalling the loop
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)))
      req.end(spec.body)
    })
  const loop = async () => {
    while (!stopped) {
      await post()
      requests++
    }
  }
  try {
    // one request per connection first, so that opening connections is not part of the figures
    await Promise.all(Array.from({ length: spec.concurrency }, post))
    errors = 0
    const cpuBefore = cpuSeconds(serverPid)
    const started = performance.now()
    const timer = setTimeout(() => (stopped = true), spec.durationMs)
    await Promise.all(Array.from({ length: spec.concurrency }, loop))
    clearTimeout(timer)
    const wall = (performance.now() - started) / 1000
    const cpu = cpuSeconds(serverPid) - cpuBefore
    return { requests, errors, perSecond: requests / wall, perCpuSecond: cpu > 0 ? requests / cpu : 0 }
  } finally {
    stopped = true
    agent.destroy()
  }
}
