/**
 * One error type with a stable code, like fastify's FST_ERR_* list. Each protocol edge maps codes to
 * its own answers in one table (MQTT reason codes, HTTP statuses, CoAP response codes).
 */
export type HubErrorCode =
  | 'HUB_ERR_TOPIC_INVALID'
  | 'HUB_ERR_FILTER_INVALID'
  | 'HUB_ERR_PAYLOAD_TOO_LARGE'
  | 'HUB_ERR_QOS_INVALID'
  | 'HUB_ERR_NOT_AUTHORIZED'
  | 'HUB_ERR_BAD_CREDENTIALS'
  | 'HUB_ERR_BAD_REQUEST'
  | 'HUB_ERR_NOT_FOUND'
  | 'HUB_ERR_QUOTA_EXCEEDED'
  | 'HUB_ERR_CONFIG_INVALID'
  | 'HUB_ERR_STORE'
  | 'HUB_ERR_STORE_CORRUPT'
  | 'HUB_ERR_RULE_INVALID'
  | 'HUB_ERR_RULE_LOOP'
  | 'HUB_ERR_HOP_LIMIT'
  | 'HUB_ERR_SHUTTING_DOWN'
  /** A service the request needs is not offered (e.g. the rules engine is off). */
  | 'HUB_ERR_UNAVAILABLE'
  /** The resource exists but does not support the request's method (HTTP 405). */
  | 'HUB_ERR_METHOD_NOT_ALLOWED'
  /** An unexpected failure; the details are logged, not shown to the client. */
  | 'HUB_ERR_INTERNAL'

export class HubError extends Error {
  readonly code: HubErrorCode
  readonly details?: unknown

  constructor(code: HubErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'HubError'
    this.code = code
    if (options?.details !== undefined) this.details = options.details
  }
}

export function isHubError(error: unknown, code?: HubErrorCode): error is HubError {
  return error instanceof HubError && (code === undefined || error.code === code)
}
