import { HubError } from '../../errors.js'
import type { CoapAction } from '../rule-schema.js'
import { encodeFields, type ActionDeps, type RuleAction } from './action.js'
import { compileBytesTemplate, compileTemplate } from './template.js'

/** RFC 7252 §12.3: application/json */
const CONTENT_FORMAT_JSON = 50

/**
 * Send a CoAP request to a device through the CoAP bridge's client (`coap.request` service), e.g.
 * PUT coap://[::1]/fan "on". A 4.xx or 5.xx answer fails the action (RFC 7252 §5.9.2, §5.9.3).
 */
export function createCoapAction(definition: CoapAction, where: string, deps: ActionDeps): RuleAction {
  const url = compileTemplate(definition.url, `${where}.url`)
  // the payload is bytes (`${payload}` sends a binary payload unchanged); the URL is text
  const payload = definition.payload === undefined ? undefined : compileBytesTemplate(definition.payload, `${where}.payload`)
  const contentFormat = definition.contentFormat ?? (payload === undefined ? CONTENT_FORMAT_JSON : undefined)
  return {
    kind: 'coap',
    publishesTo: [],
    async run(fields) {
      const request = deps.services.get('coap.request')
      if (request === undefined) {
        throw new HubError('HUB_ERR_UNAVAILABLE', 'CoAP action: no CoAP client is available (is the CoAP bridge enabled? coap.enabled in the config)')
      }
      const target = url(fields)
      const body = definition.method === 'GET' || definition.method === 'DELETE' ? undefined : payload === undefined ? Buffer.from(encodeFields(fields), 'utf8') : payload(fields)
      const response = await request({
        url: target,
        method: definition.method,
        ...(body === undefined ? {} : { payload: body }),
        ...(contentFormat === undefined || body === undefined ? {} : { contentFormat }),
        confirmable: definition.confirmable,
        timeoutMs: definition.timeoutMs,
      })
      if (!response.code.startsWith('2.')) {
        throw new HubError('HUB_ERR_UNAVAILABLE', `CoAP ${definition.method} ${target} answered ${response.code}${response.payload.length > 0 ? `: ${response.payload.toString('utf8').slice(0, 200)}` : ''}`)
      }
    },
  }
}
