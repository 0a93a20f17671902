import { HubError } from '../../errors.js'
import type { HttpAction } from '../rule-schema.js'
import { encodeFields, type ActionDeps, type RuleAction } from './action.js'
import { PermanentError, runWithRetry } from './retry.js'
import { compileBytesTemplate, compileTemplate } from './template.js'

/**
 * Call a webhook with fetch (EMQX's HTTP data bridge). Network errors, timeouts, 429 and 5xx are
 * retried with back-off; other 4xx answers are final, since sending the same request again will not
 * change them.
 */
export function createHttpAction(definition: HttpAction, where: string, deps: ActionDeps): RuleAction {
  const url = compileTemplate(definition.url, `${where}.url`)
  // the body is bytes (`${payload}` sends a binary payload unchanged); URL and headers are text
  const body = definition.body === undefined ? undefined : compileBytesTemplate(definition.body, `${where}.body`)
  const headers = Object.entries(definition.headers).map(([name, value]) => [name, compileTemplate(value, `${where}.headers.${name}`)] as const)
  const hasBody = definition.method !== 'GET' && definition.method !== 'DELETE'
  const hasContentType = Object.keys(definition.headers).some((name) => name.toLowerCase() === 'content-type')
  return {
    kind: 'http',
    publishesTo: [],
    async run(fields, trigger) {
      const target = url(fields)
      const requestHeaders: Record<string, string> = Object.fromEntries(headers.map(([name, render]) => [name, render(fields)]))
      let requestBody: string | Buffer | undefined
      if (hasBody || body !== undefined) {
        requestBody = body === undefined ? encodeFields(fields) : body(fields)
        if (body === undefined && !hasContentType) requestHeaders['content-type'] = 'application/json'
      }
      await runWithRetry(definition.retry, deps.signal, () => deps.onRetry(trigger.ruleId), async (attempt) => {
        let response: Response
        try {
          response = await fetch(target, {
            method: definition.method,
            headers: requestHeaders,
            body: requestBody,
            signal: AbortSignal.any([deps.signal, AbortSignal.timeout(definition.timeoutMs)]),
          })
        } catch (error) {
          const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${definition.timeoutMs} ms` : describeFetchError(error)
          throw new HubError('HUB_ERR_UNAVAILABLE', `HTTP ${definition.method} ${target} failed (attempt ${attempt}): ${reason}`, { cause: error })
        }
        // drain the body so the connection can be reused
        await response.arrayBuffer().catch(() => undefined)
        if (response.ok) return
        const message = `HTTP ${definition.method} ${target} answered ${response.status} ${response.statusText} (attempt ${attempt})`
        if (response.status === 429 || response.status >= 500) throw new HubError('HUB_ERR_UNAVAILABLE', message)
        throw new PermanentError(message)
      })
    },
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message
}
