import cron from 'node-cron'
import { z } from 'zod'
import { checkTopicName } from '../topic/validate.js'

/**
 * The zod schema of one rule, shared by rule files and the HTTP API (DESIGN.md §7). It checks the
 * shape; the SQL is checked by compiling it (see compile-rule.ts), so that SQL errors carry a line
 * and column.
 */

/** Text with `${field}` placeholders filled from the selected fields. */
const template = z.string()

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)])

const republishPropertiesSchema = z
  .object({
    contentType: template.optional(),
    payloadFormatIndicator: z.boolean().optional(),
    messageExpiryInterval: z.number().int().min(0).max(0xffffffff).optional(),
    responseTopic: template.optional(),
    correlationData: template.optional(),
    userProperties: z.record(z.string(), template).optional(),
  })
  .strict()

export const republishActionSchema = z
  .object({
    /** Topic template; `${field}` parts are filled from the selected fields. */
    topic: template.min(1),
    /** Payload template; by default the JSON of the selected fields. */
    payload: template.optional(),
    qos: qos.default(0),
    retain: z.boolean().default(false),
    /** MQTT 5 properties of the republished message. */
    properties: republishPropertiesSchema.optional(),
  })
  .strict()

const retrySchema = z
  .object({
    /** Tries in all, the first one included. */
    attempts: z.number().int().min(1).max(10).default(1),
    /** Wait before the second try; doubled before each further one. */
    backoffMs: z.number().int().min(0).max(60_000).default(200),
    maxBackoffMs: z.number().int().min(0).max(300_000).default(10_000),
  })
  .strict()

const urlTemplate = (schemes: string[]) =>
  template.refine(
    (url) => {
      try {
        return schemes.includes(new URL(url.replace(/\$\{[^}]*\}/g, 'x')).protocol)
      } catch {
        return false
      }
    },
    { message: `expected an absolute ${schemes.map((s) => s.replace(':', '')).join(' or ')} URL (\${field} placeholders allowed)` },
  )

export const httpActionSchema = z
  .object({
    url: urlTemplate(['http:', 'https:']),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    /** Header values are templates. */
    headers: z.record(z.string(), template).default({}),
    /** Body template; by default the JSON of the selected fields (no body for GET and DELETE). */
    body: template.optional(),
    timeoutMs: z.number().int().min(1).max(300_000).default(5000),
    retry: retrySchema.prefault({}),
  })
  .strict()
  // fetch refuses a body on GET (RFC 9110 §9.3.1 gives it no meaning)
  .refine((action) => !(action.method === 'GET' && action.body !== undefined), { message: 'a GET request has no body', path: ['body'] })

export const coapActionSchema = z
  .object({
    url: urlTemplate(['coap:']),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).default('PUT'),
    /** Payload template; by default the JSON of the selected fields. */
    payload: template.optional(),
    /** CoAP Content-Format number (RFC 7252 §12.3); 50 (application/json) for the default payload. */
    contentFormat: z.number().int().min(0).max(65535).optional(),
    confirmable: z.boolean().default(true),
    timeoutMs: z.number().int().min(1).max(300_000).default(5000),
  })
  .strict()

export const logActionSchema = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Message template; by default the JSON of the selected fields. */
    message: template.optional(),
  })
  .strict()

/** One action: an object with exactly one of `republish`, `http`, `coap`, `log`. */
export const actionSchema = z
  .object({
    republish: republishActionSchema.optional(),
    http: httpActionSchema.optional(),
    coap: coapActionSchema.optional(),
    log: logActionSchema.optional(),
  })
  .strict()
  .refine((a) => Object.values(a).filter((v) => v !== undefined).length === 1, {
    message: 'expected exactly one of republish, http, coap, log',
  })

const topicName = z.string().superRefine((topic, ctx) => {
  const problem = checkTopicName(topic)
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `expected a topic name: ${problem}` })
})

export const ruleSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected letters, digits, ".", "_" or "-"' }),
    description: z.string().optional(),
    enabled: z.boolean().default(true),
    /** SELECT ... [FROM ...] [WHERE ...]; see docs/rules.md. */
    sql: z.string().min(1),
    /** node-cron expression, seconds allowed (six fields); the rule then runs on the clock instead of on messages. */
    schedule: z
      .string()
      .refine((expression) => cron.validate(expression), { message: 'expected a node-cron expression such as "*/30 * * * * *"' })
      .optional(),
    actions: z.array(actionSchema).default([]),
    /** Failed runs and actions are published here as JSON (rule id, error, original message). */
    deadLetterTopic: topicName.optional(),
  })
  .strict()

/** A rule file: a YAML list of rules. */
export const ruleFileSchema = z.array(ruleSchema)

export type RuleDefinition = z.infer<typeof ruleSchema>
export type RuleDefinitionInput = z.input<typeof ruleSchema>
export type ActionDefinition = z.infer<typeof actionSchema>
export type RepublishAction = z.infer<typeof republishActionSchema>
export type HttpAction = z.infer<typeof httpActionSchema>
export type CoapAction = z.infer<typeof coapActionSchema>
export type LogAction = z.infer<typeof logActionSchema>

/** Body of `POST /api/v1/rules/test` and of `junction rules test --message`. */
export const ruleTestSchema = z
  .object({
    sql: z.string().min(1),
    /**
     * The sample message; `payload` may be text or any JSON value (sent as its JSON text). With
     * `encoding: 'base64'` the payload is base64 text of the payload's bytes (for binary payloads; the
     * same form a dead letter uses).
     */
    message: z
      .object({
        topic: z.string().optional(),
        payload: z.unknown().optional(),
        encoding: z.enum(['utf8', 'base64']).optional(),
        qos: qos.optional(),
        retain: z.boolean().optional(),
        clientid: z.string().optional(),
        username: z.string().optional(),
        protocol: z.enum(['mqtt', 'http', 'coap', 'rule', 'system']).optional(),
        timestamp: z.number().optional(),
        properties: republishPropertiesSchema.omit({ correlationData: true }).extend({ correlationData: z.string().optional() }).optional(),
      })
      .strict()
      .refine((m) => m.encoding !== 'base64' || (typeof m.payload === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(m.payload)), {
        message: 'with encoding "base64" the payload must be base64 text',
        path: ['payload'],
      })
      .prefault({}),
    /** For `$events/...` rules: the event's columns, e.g. `{ "event": "client_connected", "clientid": "c1" }`. */
    event: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()

export type RuleTestRequest = z.infer<typeof ruleTestSchema>
