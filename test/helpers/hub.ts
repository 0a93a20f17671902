import { createHub, type Hub, type HubConfigInput, type HubOptions } from '../../src/index.js'
import { silentLogger } from '../../src/log.js'

/** Deep-merge plain objects; arrays and other values in `override` replace. */
function merge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(override)) {
    const current = out[key]
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value
  }
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v)
}

/**
 * An in-process hub on 127.0.0.1 with every port chosen by the OS, the memory store, no logs and no
 * `$SYS` timer, merged with `overrides`; not started (for tests of start-up failures). The caller
 * closes it: `t.after(() => hub.close())`.
 */
export async function createTestHub(overrides: HubConfigInput = {}, options: HubOptions = {}): Promise<Hub> {
  const base: HubConfigInput = {
    host: '127.0.0.1',
    log: { level: 'silent' },
    storage: { driver: 'memory' },
    mqtt: { tcp: { port: 0 }, ws: { port: 0 }, sysInterval: 0 },
    http: { port: 0 },
    coap: { port: 0 },
  }
  const config = merge(base as Record<string, unknown>, overrides as Record<string, unknown>) as HubConfigInput
  return createHub(config, { log: silentLogger(), ...options })
}

/** {@link createTestHub}, started. */
export async function startTestHub(overrides: HubConfigInput = {}, options: HubOptions = {}): Promise<Hub> {
  const hub = await createTestHub(overrides, options)
  await hub.start()
  return hub
}

/** The port a named listener (`mqtt`, `ws`, `http`, `coap`, ...) actually bound. */
export function portOf(hub: Hub, name: string): number {
  const listener = hub.listeners().find((l) => l.name === name)
  if (listener === undefined) throw new Error(`no listener named ${name}: ${hub.listeners().map((l) => l.name).join(', ')}`)
  return listener.port
}
