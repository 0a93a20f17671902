import { cpuSeconds } from './proc.js'
import { encodePublish, WireClient } from './mqtt-wire.js'

/** One MQTT throughput run: publishers -> broker -> subscribers over raw sockets. */
export interface ThroughputSpec {
  publishers: number
  subscribers: number
  qos: 0 | 1
  /** Topic filter every subscriber subscribes to. */
  filter: string
  /** The topic publisher `i` publishes to. */
  topicOf(publisher: number): string
  payloadBytes: number
  /** Publishing stops after this long (bounded run). */
  durationMs: number
  /** Deliveries allowed in flight between publish and receipt, so no broker queue overflows. */
  window: number
  /** Subscribers keep a persistent session (clean session 0) instead of a clean one. */
  persistentSubscribers?: boolean
  /** Client id prefix; unique per run so persistent sessions do not carry over. */
  clientPrefix: string
}

/** What a run measured; `perCpuSecond` is delivered messages per broker CPU-second. */
export interface ThroughputResult {
  published: number
  delivered: number
  /** Expected deliveries that never arrived (QoS 0 drops under load). */
  lost: number
  cpuSeconds: number
  wallSeconds: number
  perCpuSecond: number
  perSecond: number
}

/** QoS 1 publishes a publisher keeps unacknowledged at most (a common client Receive Maximum). */
const PUBLISHER_INFLIGHT = 100
/** Frames written per socket write. */
const BATCH = 32
/** After publishing stops, give up waiting for stragglers once nothing arrives for this long. */
const DRAIN_IDLE_MS = 2_000

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A one-shot signal publishers wait on when the window is full; reopened by deliveries and acks. */
class Gate {
  private waiters: Array<() => void> = []
  get waiting(): boolean {
    return this.waiters.length > 0
  }
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }
  open(): void {
    for (const resolve of this.waiters.splice(0)) resolve()
  }
}

/**
 * Connect subscribers then publishers, publish for `durationMs` within the delivery window, wait for
 * the deliveries to drain, and read the broker's CPU time (/proc/PID/stat) around the whole transfer.
 */
export async function measureThroughput(port: number, brokerPid: number, spec: ThroughputSpec): Promise<ThroughputResult> {
  const subscribers: WireClient[] = []
  const publishers: WireClient[] = []
  let delivered = 0
  let published = 0
  let stopped = false
  const gate = new Gate()
  const lowWater = spec.window / 2
  // a broker that drops messages leaves the window full: the publishers then wait out the run, and the
  // figures per CPU-second stay honest (the lost column shows it)
  const outstanding = () => published * spec.subscribers - delivered
  try {
    for (let i = 0; i < spec.subscribers; i++) {
      const sub = await WireClient.connect({ port, clientId: `${spec.clientPrefix}-sub-${i}`, clean: spec.persistentSubscribers !== true })
      sub.onPublish = () => {
        delivered++
        if (gate.waiting && outstanding() <= lowWater) gate.open()
      }
      await sub.subscribe(spec.filter, spec.qos)
      subscribers.push(sub)
    }
    for (let i = 0; i < spec.publishers; i++) {
      publishers.push(await WireClient.connect({ port, clientId: `${spec.clientPrefix}-pub-${i}` }))
    }

    const cpuBefore = cpuSeconds(brokerPid)
    const started = performance.now()
    const timer = setTimeout(() => {
      stopped = true
      gate.open()
    }, spec.durationMs)
    await Promise.all(publishers.map((client, i) => pump(client, i)))
    clearTimeout(timer)
    await drain()
    const wallSeconds = (performance.now() - started) / 1000
    const cpu = cpuSeconds(brokerPid) - cpuBefore
    return {
      published,
      delivered,
      lost: Math.max(0, outstanding()),
      cpuSeconds: cpu,
      wallSeconds,
      perCpuSecond: cpu > 0 ? delivered / cpu : 0,
      perSecond: delivered / wallSeconds,
    }
  } finally {
    stopped = true
    gate.open()
    await Promise.all([...publishers, ...subscribers].map((c) => c.disconnect()))
  }

  async function pump(client: WireClient, index: number): Promise<void> {
    const payload = Buffer.alloc(spec.payloadBytes, 0x61 + (index % 26))
    const template = encodePublish(spec.topicOf(index), payload, spec.qos)
    const frameLength = template.frame.length
    const batch = Buffer.concat(Array.from({ length: BATCH }, () => template.frame))
    let unacked = 0
    let nextId = 1
    client.onPuback = () => {
      unacked--
      if (gate.waiting) gate.open()
    }
    while (!stopped) {
      const room = Math.floor((spec.window - outstanding()) / spec.subscribers)
      const credit = spec.qos === 0 ? BATCH : Math.min(BATCH, PUBLISHER_INFLIGHT - unacked)
      const n = Math.min(room, credit)
      if (n <= 0) {
        await gate.wait()
        continue
      }
      let bytes: Buffer
      if (spec.qos === 0) {
        bytes = batch.subarray(0, n * frameLength)
      } else {
        bytes = Buffer.allocUnsafe(n * frameLength)
        for (let k = 0; k < n; k++) {
          template.frame.copy(bytes, k * frameLength)
          bytes.writeUInt16BE(nextId, k * frameLength + template.packetIdOffset)
          nextId = nextId === 0xffff ? 1 : nextId + 1
        }
        unacked += n
      }
      published += n
      const drained = client.write(bytes)
      if (drained !== undefined) await drained
    }
  }

  async function drain(): Promise<void> {
    let last = -1
    let lastChange = performance.now()
    while (outstanding() > 0) {
      if (delivered !== last) {
        last = delivered
        lastChange = performance.now()
      } else if (performance.now() - lastChange > DRAIN_IDLE_MS) {
        return
      }
      await sleep(20)
    }
  }
}
