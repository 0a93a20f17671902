import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { connect, type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt'
import { spawnHub, type SpawnedHub } from '../helpers/spawn-hub.js'

/** A data folder and a config file for a hub run as a child process, removed when the test ends. */
export interface DurableHubFiles {
  dataDir: string
  configFile: string
}

/**
 * A fresh temp folder holding `data/` (JUNCTION_DATA_DIR) and a config with queues large enough for the
 * crash scenarios, the SQLite store and no HTTP/CoAP bridges.
 */
export function durableHubFiles(t: TestContext): DurableHubFiles {
  const root = mkdtempSync(join(tmpdir(), 'junction-crash-'))
  t.after(() => rmSync(root, { recursive: true, force: true }))
  const configFile = join(root, 'junction.yaml')
  writeFileSync(
    configFile,
    [
      'storage: { driver: sqlite }',
      'mqtt: { sysInterval: 0, limits: { maxQueuedMessages: 50000, maxQueuedBytes: 268435456 } }',
      'http: { enabled: false }',
      'coap: { enabled: false }',
      '',
    ].join('\n'),
  )
  return { dataDir: join(root, 'data'), configFile }
}

/**
 * Start the CLI on these files; the hub is killed (if still running) when the test ends. `env` adds
 * variables, e.g. JUNCTION_MQTT_PORT to restart on the port clients reconnect to.
 */
export async function startDurableHub(t: TestContext, files: DurableHubFiles, args: string[] = [], env: Record<string, string> = {}): Promise<SpawnedHub> {
  const hub = await spawnHub({ args: ['--config', files.configFile, ...args], env: { JUNCTION_DATA_DIR: files.dataDir, ...env } })
  t.after(() => hub.stop('SIGKILL'))
  return hub
}

/**
 * An MQTT.js client on the hub's TCP listener, force-closed when the test ends. `onMessage` is attached
 * before the connection opens, so messages a resumed session sends right after CONNACK are not missed.
 */
export async function connectClient(
  t: TestContext,
  hub: SpawnedHub,
  options: IClientOptions,
  onMessage?: (topic: string, payload: Buffer) => void,
): Promise<MqttClient & { sessionPresent: boolean }> {
  const port = hub.ports.mqtt
  if (port === undefined) throw new Error(`no mqtt listener in the banner: ${hub.stderr()}`)
  const client = connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 10_000, ...options })
  t.after(() => client.end(true))
  if (onMessage !== undefined) client.on('message', onMessage)
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve)
    client.once('error', reject)
    client.once('close', () => reject(new Error(`connection closed before CONNACK (${String(options.clientId)})`)))
  })
  client.on('error', () => undefined) // later errors surface through the calls that fail
  return Object.assign(client, { sessionPresent: connack.sessionPresent })
}

/** Wait for a child process to exit on its own; resolves with the signal that ended it, if any. */
export async function exitOf(hub: Pick<SpawnedHub, 'child'>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { child } = hub
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode }
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  return { code, signal }
}

export interface PublishStream {
  /** Payloads whose publish was acknowledged (PUBACK for QoS 1, PUBCOMP for QoS 2). */
  acknowledged: Set<string>
  /** Payloads whose publish failed or was not attempted (the connection went away). */
  failed: Set<string>
}

export interface StreamOptions {
  qos: 1 | 2
  retain?: boolean
  /** Sees the count of acknowledged publishes after each one (e.g. to kill the hub mid-stream). */
  onAck?: (acknowledged: number) => void
  /** Publishes unacknowledged at a time; below the hub's Receive Maximum. */
  window?: number
}

/**
 * Publish `messages` with at most `window` unacknowledged at a time. The stream stops when the
 * connection is gone. MQTT.js keeps publishes in flight at a close for a reconnect, so after killing
 * the hub, end the client with `end(true)` before awaiting the stream: that fails them.
 */
export async function publishStream(client: MqttClient, messages: Array<{ topic: string; payload: string }>, options: StreamOptions): Promise<PublishStream> {
  const result: PublishStream = { acknowledged: new Set(), failed: new Set() }
  let next = 0
  let stopped = false
  const worker = async () => {
    while (!stopped && next < messages.length) {
      if (!client.connected) {
        stopped = true
        break
      }
      const { topic, payload } = messages[next++] as { topic: string; payload: string }
      try {
        await client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain ?? false })
        result.acknowledged.add(payload)
        options.onAck?.(result.acknowledged.size)
      } catch {
        result.failed.add(payload)
        stopped = true
      }
    }
  }
  await Promise.all(Array.from({ length: options.window ?? 50 }, worker))
  for (const { payload } of messages.slice(next)) result.failed.add(payload)
  return result
}

/** `count` messages to one topic whose payloads are `prefix` + index. */
export function numbered(topic: string, count: number, prefix = ''): Array<{ topic: string; payload: string }> {
  return Array.from({ length: count }, (_, i) => ({ topic, payload: `${prefix}${i}` }))
}

/** Resolve when `predicate` holds for a client's received messages; reject after a generous safety timeout. */
export function waitFor(what: string, predicate: () => boolean, subscribe: (check: () => void) => void, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)
    const check = () => {
      if (!predicate()) return
      clearTimeout(timer)
      resolve()
    }
    subscribe(check)
    check()
  })
}
