/**
 * CoAP identity (DESIGN.md §4): credentials from the query (`u`, `p` or `token`) go through the same
 * authenticate / authorize hooks as MQTT and HTTP, so one ACL applies to every protocol.
 */
import type { Hooks, Identity } from '../../src/hub-context.js'
import type { CoapFailure, Credentials } from './mapping.js'

/**
 * Authenticate a request; 4.01 for bad credentials or a refused anonymous request (credentials would
 * help: RFC 7252 §5.9.2.2), 4.03 for a banned or refused party.
 */
export async function authenticateRequest(hooks: Hooks, credentials: Credentials, remoteAddress: string): Promise<Identity | CoapFailure> {
  const result = await hooks.authenticate({ protocol: 'coap', ...credentials, remoteAddress })
  if (result.ok) return result.identity
  const anonymous = credentials.username === undefined && credentials.token === undefined
  const code = result.reason === 'bad-credentials' || (anonymous && result.reason === 'not-authorized') ? '4.01' : '4.03'
  return { code, message: result.message ?? (code === '4.01' ? 'bad credentials' : 'not authorized') }
}

/** Whether `identity` may publish to (or clear the retained message of) `topic`. */
export async function authorizePublish(hooks: Hooks, identity: Identity, topic: string): Promise<CoapFailure | undefined> {
  return (await hooks.authorizePublish(identity, topic)) ? undefined : { code: '4.03', message: `not authorized to publish to ${topic}` }
}

/** Whether `identity` may read or observe `filter`. */
export async function authorizeSubscribe(hooks: Hooks, identity: Identity, filter: string): Promise<CoapFailure | undefined> {
  return (await hooks.authorizeSubscribe(identity, filter)) ? undefined : { code: '4.03', message: `not authorized to read ${filter}` }
}
