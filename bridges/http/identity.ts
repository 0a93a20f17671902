/**
 * Who is calling: HTTP Basic or Bearer credentials go to the kernel's authenticate hook, so the same
 * users and ACL apply to HTTP as to MQTT and CoAP (DESIGN.md §4, §9.1).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { HubError } from '../../src/errors.js'
import type { HubContext, Identity, Origin } from '../../src/hub-context.js'
import type { AdminAccess } from './schema.js'
import { isLoopback } from '../../src/net-address.js'

/** What the Authorization header carried. */
export interface Credentials {
  username?: string
  password?: Buffer
  token?: string
}

/** Read `Authorization: Basic ...` (RFC 7617) or `Authorization: Bearer ...` (RFC 6750 §2.1). */
export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined || header === '') return {}
  const space = header.indexOf(' ')
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const value = space < 0 ? '' : header.slice(space + 1).trim()
  if (scheme === 'bearer' && value !== '') return { token: value }
  if (scheme === 'basic' && /^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    const decoded = Buffer.from(value, 'base64')
    // RFC 7617 §2: user-id and password are separated by the first colon
    const colon = decoded.indexOf(0x3a)
    if (colon >= 0) return { username: decoded.subarray(0, colon).toString('utf8'), password: Buffer.from(decoded.subarray(colon + 1)) }
  }
  throw new HubError('HUB_ERR_BAD_CREDENTIALS', 'Authorization: expected "Basic <base64 of user:password>" or "Bearer <token>"')
}

/** The identity an earlier middleware authenticated. */
export function identityOf(res: Response): Identity {
  return res.locals.identity as Identity
}

/** The origin of a message published by this identity. */
export function originOf(identity: Identity): Origin {
  const origin: Origin = { protocol: 'http' }
  if (identity.username !== undefined) origin.username = identity.username
  if (identity.clientId !== undefined) origin.clientId = identity.clientId
  return origin
}

/** Authenticate every API request, anonymous ones too (the hooks decide whether those are allowed). */
export function createAuthenticate(ctx: HubContext): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const credentials = parseAuthorization(req.headers.authorization)
    const result = await ctx.hooks.authenticate({ protocol: 'http', ...credentials, remoteAddress: req.socket.remoteAddress })
    if (!result.ok) {
      // a refused anonymous request is a 401 too: credentials would change the answer (RFC 9110 §15.5.2)
      const anonymous = credentials.username === undefined && credentials.token === undefined
      const unauthenticated = result.reason === 'bad-credentials' || (anonymous && result.reason === 'not-authorized')
      const message = result.message ?? (result.reason === 'bad-credentials' ? 'bad user name, password or token' : `access refused (${result.reason})`)
      throw new HubError(unauthenticated ? 'HUB_ERR_BAD_CREDENTIALS' : 'HUB_ERR_NOT_AUTHORIZED', message)
    }
    res.locals.identity = result.identity
    next()
  }
}

/** Admin endpoints: the `admin` role, or what `http.adminAccess` allows besides (see schema.ts). */
export function createRequireAdmin(access: AdminAccess): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const identity = identityOf(res)
    const allowed = identity.roles.includes('admin') || access === 'any' || (access === 'loopback' && isLoopback(req.socket.remoteAddress))
    if (!allowed) throw new HubError('HUB_ERR_NOT_AUTHORIZED', 'this endpoint needs the admin role')
    next()
  }
}

/** Throw HUB_ERR_NOT_AUTHORIZED unless the identity may publish to the topic. */
export async function assertMayPublish(ctx: HubContext, identity: Identity, topic: string): Promise<void> {
  if (!(await ctx.hooks.authorizePublish(identity, topic))) throw new HubError('HUB_ERR_NOT_AUTHORIZED', `not authorized to publish to ${topic}`)
}

/** Throw HUB_ERR_NOT_AUTHORIZED unless the identity may subscribe to (read) the filter. */
export async function assertMaySubscribe(ctx: HubContext, identity: Identity, filter: string): Promise<void> {
  if (!(await ctx.hooks.authorizeSubscribe(identity, filter))) throw new HubError('HUB_ERR_NOT_AUTHORIZED', `not authorized to subscribe to ${filter}`)
}
