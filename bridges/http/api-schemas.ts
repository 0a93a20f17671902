import { z } from 'zod'

/**
 * The zod schemas that validate HTTP API requests. The OpenAPI document (openapi.ts) is generated from
 * these same objects with `z.toJSONSchema`, so the document and the validation cannot disagree.
 */

/** Standard padded base64, RFC 4648 §4; base64url and unpadded text are refused. */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const base64Text = z.string().regex(BASE64_PATTERN, { error: 'must be standard padded base64 (RFC 4648 §4)' })

const qosSchema = z.literal([0, 1, 2], { error: 'qos must be 0, 1 or 2' }).meta({ description: 'MQTT QoS level' })

/** MQTT 5 PUBLISH properties (MQTT 5.0 §3.3.2.3) as JSON. */
export const messagePropertiesSchema = z
  .object({
    contentType: z.string().max(65535).optional().meta({ description: 'MQTT 5 Content Type (a MIME type)' }),
    messageExpiryInterval: z.number().int().min(0).max(0xffffffff).optional().meta({ description: 'Seconds until the message expires' }),
    userProperties: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    responseTopic: z.string().min(1).optional().meta({ description: 'MQTT 5 Response Topic (no wildcards)' }),
    correlationData: base64Text.optional().meta({ description: 'MQTT 5 Correlation Data, base64' }),
    payloadFormatIndicator: z.boolean().optional().meta({ description: 'true when the payload is UTF-8 text' }),
  })
  .strict()

/** Any JSON value; how it becomes bytes depends on `encoding`. */
const jsonValueSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())], {
    error: 'payload is required (a string, or any JSON value with encoding "json")',
  })
  .meta({ description: 'utf8: text; base64: standard base64 text; json: any JSON value, sent serialized. Without encoding, a string is utf8 and anything else json.' })

/** Body of `POST /api/v1/publish`, and each item of `POST /api/v1/publish/bulk`. */
export const publishRequestSchema = z
  .object({
    topic: z.string({ error: 'topic is required and must be a string' }).min(1, { error: 'topic must not be empty' }),
    payload: jsonValueSchema,
    encoding: z.enum(['utf8', 'base64', 'json']).optional(),
    qos: qosSchema.default(0),
    retain: z.boolean().default(false),
    properties: messagePropertiesSchema.optional(),
  }, { error: (issue) => (issue.code === 'invalid_type' ? 'the body must be a JSON object' : undefined) })
  .strict()

export type PublishRequest = z.infer<typeof publishRequestSchema>

/** Body of `POST /api/v1/publish/bulk`: each item is validated on its own, so one bad item fails alone. */
export const bulkPublishRequestSchema = z.array(publishRequestSchema).min(1)

/** The envelope check of a bulk body; items are then checked one by one with {@link publishRequestSchema}. */
export const bulkEnvelopeSchema = z.array(z.unknown(), { error: 'the body must be a JSON array of publish requests' }).min(1, { error: 'the array must not be empty' })

export const publishResponseSchema = z
  .object({ id: z.string(), matched: z.number().int().meta({ description: 'Subscriptions (MQTT sessions, streams, rules) the message matched' }) })

export const errorBodySchema = z
  .object({ code: z.string(), message: z.string(), details: z.unknown().optional() })

export const errorResponseSchema = z.object({ error: errorBodySchema })

export const bulkPublishResponseSchema = z
  .object({
    published: z.number().int(),
    failed: z.number().int(),
    results: z.array(z.union([z.object({ ok: z.literal(true), id: z.string(), matched: z.number().int() }), z.object({ ok: z.literal(false), error: errorBodySchema })])),
  })

const booleanParam = z.enum(['true', 'false', '1', '0'], { error: 'must be true, false, 1 or 0' }).transform((v) => v === 'true' || v === '1')

/** Query of `POST /api/v1/topics/{topic}`. */
export const rawPublishQuerySchema = z
  .object({
    qos: z.enum(['0', '1', '2'], { error: 'qos must be 0, 1 or 2' }).default('0').transform((v) => Number(v) as 0 | 1 | 2),
    retain: booleanParam.default(false),
  })
  .strict()

/** Query of `GET /api/v1/stream`. */
export const streamQuerySchema = z
  .object({
    filter: z.string({ error: 'filter is required (an MQTT topic filter; wildcards allowed)' }).min(1, { error: 'filter must not be empty' }),
    retained: booleanParam.default(false).meta({ description: 'Send the retained messages matching the filter first' }),
  })
  .strict()

/** Query of `GET /api/v1/retained`. */
export const retainedQuerySchema = z
  .object({
    filter: z.string().min(1, { error: 'filter must not be empty' }).default('#'),
    limit: z.string().regex(/^[1-9][0-9]*$/, { error: 'limit must be a positive integer' }).transform(Number).optional(),
  })
  .strict()

/** A message as the API shows it (retained list, stream events). */
export const messageViewSchema = z
  .object({
    id: z.string(),
    topic: z.string(),
    payload: z.string(),
    encoding: z.enum(['utf8', 'base64']).meta({ description: 'utf8 when the payload is valid UTF-8 text, else base64' }),
    qos: z.number().int(),
    retain: z.boolean(),
    properties: z.record(z.string(), z.unknown()),
    receivedAt: z.number().meta({ description: 'Milliseconds since the epoch' }),
  })

/** Query of `GET /api/v1/subscriptions`. */
export const subscriptionsQuerySchema = z.object({ clientId: z.string().min(1).optional() }).strict()
