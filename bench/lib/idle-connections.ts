import { openFileLimit, rssBytes } from './proc.js'
import { WireClient } from './mqtt-wire.js'

export interface IdleSpec {
  connections: number
  /** Connections opened concurrently at most (bounded batches). */
  batch: number
  /** Time for the broker to settle before each RSS reading. */
  settleMs: number
  clientPrefix: string
}

export interface IdleResult {
  connections: number
  rssBeforeBytes: number
  rssAfterBytes: number
  /** (RSS after - RSS before) / connections. */
  bytesPerConnection: number
}

/** Descriptors kept free in this process for everything that is not a benchmark connection. */
const SPARE_DESCRIPTORS = 200

/**
 * Open `connections` idle MQTT connections (keep alive 0, clean session, no subscriptions) in bounded
 * batches and read the broker's RSS before and after (/proc/PID/status).
 */
export async function measureIdleConnections(port: number, brokerPid: number, spec: IdleSpec): Promise<IdleResult> {
  const limit = openFileLimit('self') - SPARE_DESCRIPTORS
  if (spec.connections > limit) {
    throw new Error(`${spec.connections} connections need a higher open-files limit: run \`ulimit -n ${spec.connections + 1024}\` first (now ${limit + SPARE_DESCRIPTORS})`)
  }
  const clients: WireClient[] = []
  try {
    await settle(spec.settleMs)
    const rssBeforeBytes = rssBytes(brokerPid)
    for (let opened = 0; opened < spec.connections; ) {
      const n = Math.min(spec.batch, spec.connections - opened)
      const batch = await Promise.allSettled(
        Array.from({ length: n }, (_, k) => WireClient.connect({ port, clientId: `${spec.clientPrefix}-${opened + k}`, keepalive: 0, timeoutMs: 30_000 })),
      )
      for (const result of batch) if (result.status === 'fulfilled') clients.push(result.value)
      const failure = batch.find((result) => result.status === 'rejected')
      if (failure !== undefined) throw failure.reason
      opened += n
    }
    await settle(spec.settleMs)
    const rssAfterBytes = rssBytes(brokerPid)
    return { connections: clients.length, rssBeforeBytes, rssAfterBytes, bytesPerConnection: (rssAfterBytes - rssBeforeBytes) / clients.length }
  } finally {
    for (const client of clients) client.destroy()
  }
}

function settle(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
