import { cpuSeconds } from './proc.js'
import { encodePublish, WireClient } from './mqtt-wire.js'

/** Latency at a fixed publish rate: one publisher, one subscriber, QoS 0, send time in the payload. */
export interface LatencySpec {
  ratePerSecond: number
  durationMs: number
  /** Samples from the first `warmupMs` are discarded (connections and JIT settling). */
  warmupMs: number
  payloadBytes: number
  clientPrefix: string
}

export interface LatencyResult {
  sent: number
  received: number
  p50: number
  p90: number
  p99: number
  max: number
  /** Delivered messages per broker CPU-second at this rate. */
  perCpuSecond: number
}

/** Value at quantile `q` (0..1) of sorted samples (nearest rank). */
export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index] as number
}

/**
 * Publish at `ratePerSecond` for `durationMs`: every timer turn sends the messages due by then, each
 * stamped with performance.now() in its first 8 bytes; the subscriber (same process, same clock)
 * records receive time minus send time. A publisher blocked by back-pressure skips, it does not queue.
 */
export async function measureLatency(port: number, brokerPid: number, spec: LatencySpec): Promise<LatencyResult> {
  const sub = await WireClient.connect({ port, clientId: `${spec.clientPrefix}-sub` })
  const pub = await WireClient.connect({ port, clientId: `${spec.clientPrefix}-pub` })
  try {
    const capacity = Math.ceil((spec.ratePerSecond * spec.durationMs) / 1000) + 1
    const samples = new Float64Array(capacity)
    let received = 0
    let measured = 0
    let measureFrom = Number.POSITIVE_INFINITY
    sub.onPublish = (frame, payloadStart) => {
      received++
      const sentAt = frame.readDoubleLE(payloadStart)
      if (sentAt >= measureFrom && measured < capacity) samples[measured++] = performance.now() - sentAt
    }
    await sub.subscribe('bench/latency', 0)

    const template = encodePublish('bench/latency', Buffer.alloc(spec.payloadBytes), 0)
    const frameLength = template.frame.length
    const payloadOffset = frameLength - spec.payloadBytes
    const started = performance.now()
    measureFrom = started + spec.warmupMs
    const cpuBefore = cpuSeconds(brokerPid)
    let sent = 0
    let blocked = false
    while (sent < capacity - 1) {
      const now = performance.now()
      if (now - started >= spec.durationMs) break
      const due = Math.min(capacity - 1, Math.floor(((now - started) * spec.ratePerSecond) / 1000)) - sent
      if (due > 0 && !blocked) {
        const bytes = Buffer.allocUnsafe(due * frameLength)
        for (let k = 0; k < due; k++) {
          template.frame.copy(bytes, k * frameLength)
          bytes.writeDoubleLE(now, k * frameLength + payloadOffset)
        }
        sent += due
        const drained = pub.write(bytes)
        if (drained !== undefined) {
          blocked = true
          void drained.then(() => (blocked = false))
        }
      } else if (due > 0) {
        sent += due // the socket is full: these are skipped, not queued behind it
      }
      await new Promise((r) => setTimeout(r, 1))
    }
    // let the last messages arrive (bounded)
    const deadline = performance.now() + 2_000
    while (received < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    const cpu = cpuSeconds(brokerPid) - cpuBefore
    const sorted = samples.subarray(0, measured).sort()
    return {
      sent,
      received,
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
      max: quantile(sorted, 1),
      perCpuSecond: cpu > 0 ? received / cpu : 0,
    }
  } finally {
    await Promise.all([pub.disconnect(), sub.disconnect()])
  }
}
