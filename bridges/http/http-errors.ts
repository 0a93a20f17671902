import type { ErrorRequestHandler, Response } from 'express'
import { z } from 'zod'
import { HubError, type HubErrorCode } from '../../src/errors.js'
import type { Logger } from '../../src/log.js'

/**
 * The one table from hub error codes to HTTP statuses (as mosquitto's read_handle.c alone maps
 * MOSQ_ERR_* to reason codes). A `Record` over every code, so a new code cannot be forgotten here.
 */
const STATUS_BY_CODE: Record<HubErrorCode, number> = {
  HUB_ERR_TOPIC_INVALID: 400,
  HUB_ERR_FILTER_INVALID: 400,
  HUB_ERR_QOS_INVALID: 400,
  HUB_ERR_BAD_REQUEST: 400,
  HUB_ERR_RULE_INVALID: 400,
  HUB_ERR_BAD_CREDENTIALS: 401,
  HUB_ERR_NOT_AUTHORIZED: 403,
  HUB_ERR_NOT_FOUND: 404,
  HUB_ERR_METHOD_NOT_ALLOWED: 405,
  HUB_ERR_RULE_LOOP: 409,
  HUB_ERR_HOP_LIMIT: 409,
  HUB_ERR_PAYLOAD_TOO_LARGE: 413,
  HUB_ERR_QUOTA_EXCEEDED: 429,
  HUB_ERR_CONFIG_INVALID: 500,
  HUB_ERR_STORE: 500,
  HUB_ERR_STORE_CORRUPT: 500,
  HUB_ERR_INTERNAL: 500,
  HUB_ERR_UNAVAILABLE: 503,
  HUB_ERR_SHUTTING_DOWN: 503,
}

/** The HTTP status for a hub error code. */
export function statusOf(code: HubErrorCode): number {
  return STATUS_BY_CODE[code]
}

/** RFC 9110 §11.6.1: a 401 names the schemes the client may use. */
export const AUTH_CHALLENGE = 'Basic realm="junction", Bearer realm="junction"'

/** A zod failure as one HubError whose message names every field (`qos: qos must be 0, 1 or 2`). */
export function fromZodError(error: z.ZodError, where?: string): HubError {
  const issues = error.issues.map((issue) => {
    const path = [...(where === undefined ? [] : [where]), ...issue.path.map(String)].join('.')
    return { path, message: issue.message }
  })
  const message = issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('; ')
  return new HubError('HUB_ERR_BAD_REQUEST', message, { details: issues })
}

/** Validate with a zod schema, or throw a HubError naming the fields. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw fromZodError(result.error, where)
  return result.data
}

/** Errors thrown by express's body parsers and router carry a `type` or a `status`. */
interface HttpLibraryError {
  type?: string
  status?: number
  message: string
  /** body-parser's `entity.too.large`: the limit and the announced length, in bytes. */
  limit?: number
  length?: number
}

/** Any error as a HubError: body-parser and router errors get their own codes, the rest are internal. */
export function toHubError(error: unknown): HubError {
  if (error instanceof HubError) return error
  // A plug-in (the rules engine) that validates a request body with zod and lets the error through.
  if (error instanceof z.ZodError) return fromZodError(error)
  const e = error as HttpLibraryError
  if (e?.type === 'entity.parse.failed') return new HubError('HUB_ERR_BAD_REQUEST', `body: not valid JSON (${e.message})`, { cause: error })
  if (e?.type === 'entity.too.large') {
    const size = e.length === undefined ? 'longer than' : `${e.length} bytes is more than`
    return new HubError('HUB_ERR_PAYLOAD_TOO_LARGE', `body: ${size} the maximum of ${e.limit} bytes`, { cause: error, details: { max: e.limit } })
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new HubError('HUB_ERR_BAD_REQUEST', `body: ${e.message}`, { cause: error })
  if (error instanceof URIError) return new HubError('HUB_ERR_BAD_REQUEST', `path: not valid percent-encoding (${e.message})`, { cause: error })
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new HubError('HUB_ERR_BAD_REQUEST', e.message, { cause: error })
  return new HubError('HUB_ERR_INTERNAL', 'internal error', { cause: error })
}

/** Answer with `{ "error": { code, message, details? } }` and the status from the table. */
export function sendError(res: Response, error: HubError): void {
  const status = statusOf(error.code)
  if (status === 401) res.setHeader('WWW-Authenticate', AUTH_CHALLENGE)
  res.status(status).json({ error: errorBody(error) })
}

/** The `error` member of an error response (also each failed item of a bulk publish). */
export function errorBody(error: HubError): { code: string; message: string; details?: unknown } {
  return error.details === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, details: error.details }
}

/** Express's last error handler: JSON for everything, internal errors logged and not leaked. */
export function createErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error)
      return
    }
    const hubError = toHubError(error)
    if (statusOf(hubError.code) >= 500 && !(error instanceof HubError)) log.error({ err: error, method: req.method, url: req.originalUrl }, 'HTTP request failed')
    sendError(res, hubError)
  }
}
