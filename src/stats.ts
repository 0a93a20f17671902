import type { Protocol } from './message.js'

type PerProtocol = Record<Protocol, number>

function perProtocol(): PerProtocol {
  return { mqtt: 0, http: 0, coap: 0, rule: 0, system: 0 }
}

/**
 * Plain counters the hot path increments (no Map lookups, no allocation). `$SYS` topics and the
 * Prometheus endpoint read them; nothing else writes them but their owners.
 */
export class HubStats {
  readonly startedAt = Date.now()
  /** Messages accepted into the hub, by the protocol they came from. */
  readonly messagesIn: PerProtocol = perProtocol()
  /** Messages handed to subscribers, by the protocol they were delivered over. */
  readonly messagesOut: PerProtocol = perProtocol()
  bytesIn = 0
  bytesOut = 0
  connections = 0
  connectionsTotal = 0
  /** Messages dropped: queue limits, expiry, hop limit, slow consumers. */
  messagesDropped = 0
  /** Connections closed for protocol errors or bad input. */
  protocolErrors = 0
  /** Requests refused by a limit (connections, rate, packet size, ...). */
  limitBreaches = 0
  readonly requests = { http: 0, coap: 0 }
}
