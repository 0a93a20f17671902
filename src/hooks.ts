import type { Protocol } from './message.js'

export type Awaitable<T> = T | Promise<T>

/** Who is acting, after authentication; the same shape for MQTT, HTTP, CoAP and rules. */
export interface Identity {
  protocol: Protocol
  clientId?: string
  username?: string
  roles: readonly string[]
}

/** What an edge knows about a connecting or requesting party. */
export interface AuthRequest {
  protocol: Protocol
  clientId?: string
  username?: string
  password?: Buffer
  token?: string
  remoteAddress?: string
}

export type AuthFailure = 'bad-credentials' | 'not-authorized' | 'banned'
export type AuthResult = { ok: true; identity: Identity } | { ok: false; reason: AuthFailure; message?: string }

/**
 * Authentication and authorization, called by every entry point (aedes hooks, written async-capable).
 * A hook may answer synchronously so that the default allow-all costs no microtask per message.
 */
export interface Hooks {
  authenticate(request: AuthRequest): Awaitable<AuthResult>
  authorizePublish(identity: Identity, topic: string): Awaitable<boolean>
  authorizeSubscribe(identity: Identity, filter: string): Awaitable<boolean>
}

/** Allow everything except client publishes to `$SYS/` (as aedes does). */
export function createDefaultHooks(): Hooks {
  return {
    authenticate: (request) => ({
      ok: true,
      identity: { protocol: request.protocol, clientId: request.clientId, username: request.username, roles: [] } as Identity,
    }),
    authorizePublish: (identity, topic) => identity.protocol === 'system' || !topic.startsWith('$SYS/'),
    authorizeSubscribe: () => true,
  }
}
