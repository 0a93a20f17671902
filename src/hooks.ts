import type { Protocol } from './message.js'
import { isLoopback } from './net-address.js'

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

/**
 * Who may connect without credentials: everyone (`true`), no one (`false`), or only clients on the
 * loopback interface (`'loopback'`, the default), so that a listener opened to the network never
 * admits anonymous clients unless the config says so (DESIGN.md §4).
 */
export type AnonymousPolicy = boolean | 'loopback'

/**
 * The hooks used when no user store is configured: any credentials are accepted, anonymous access
 * follows `allowAnonymous`, and everything is allowed except client publishes to `$SYS/` (as aedes).
 */
export function createDefaultHooks(options: { allowAnonymous: AnonymousPolicy } = { allowAnonymous: 'loopback' }): Hooks {
  return {
    authenticate: (request): AuthResult => {
      const anonymous = request.username === undefined && request.token === undefined
      if (anonymous && !isAnonymousAllowed(options.allowAnonymous, request.remoteAddress)) {
        return { ok: false, reason: 'not-authorized', message: 'anonymous access is not allowed (auth.allowAnonymous)' }
      }
      const identity: Identity = { protocol: request.protocol, roles: [] }
      if (request.clientId !== undefined) identity.clientId = request.clientId
      if (request.username !== undefined) identity.username = request.username
      return { ok: true, identity }
    },
    authorizePublish: (identity, topic) => identity.protocol === 'system' || !topic.startsWith('$SYS/'),
    authorizeSubscribe: () => true,
  }
}

function isAnonymousAllowed(policy: AnonymousPolicy, remoteAddress: string | undefined): boolean {
  return policy === 'loopback' ? isLoopback(remoteAddress) : policy
}
