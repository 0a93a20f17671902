/**
 * Publishing a JSON body over HTTP (DESIGN.md §5); the raw `POST /api/v1/topics/{topic}` lives with the
 * other topic routes in topics.ts. The answer comes after `ctx.publish` resolves, so a QoS 1/2 message
 * is in the hub (and stored where the store is durable) before the 200.
 */
import type { Request, Response } from 'express'
import { HubError } from '../../../src/errors.js'
import type { HubContext, Identity, MessageInput, PublishResult } from '../../../src/hub-context.js'
import { bulkEnvelopeSchema, bulkPublishRequestSchema, bulkPublishResponseSchema, publishRequestSchema, publishResponseSchema } from '../api-schemas.js'
import { errorBody, parseWith, toHubError } from '../http-errors.js'
import { assertMayPublish, identityOf, originOf } from '../identity.js'
import { toMessageInput, type PublishLimits } from '../mapping.js'
import type { Route } from '../route-table.js'
import type { HttpConfig } from '../schema.js'

/** Publish for an identity once the ACL allows it; resolves when the hub has accepted the message. */
export async function publishAs(ctx: HubContext, identity: Identity, input: MessageInput): Promise<PublishResult> {
  await assertMayPublish(ctx, identity, input.topic)
  return ctx.publish(input, originOf(identity))
}

/** `POST /api/v1/publish` and `POST /api/v1/publish/bulk`. */
export function publishRoutes(ctx: HubContext, config: HttpConfig): Route[] {
  const limits: PublishLimits = { maxPayloadBytes: config.maxPayloadBytes, maxTopicLevels: config.maxTopicLevels }

  return [
    {
      path: '/api/v1/publish',
      tag: 'publish',
      operations: {
        POST: {
          summary: 'Publish one message from a JSON body',
          body: 'json',
          bodySchema: publishRequestSchema,
          responseSchema: publishResponseSchema,
          handle: async (req: Request, res: Response) => {
            const request = parseWith(publishRequestSchema, req.body)
            res.json(await publishAs(ctx, identityOf(res), toMessageInput(request, limits)))
          },
        },
      },
    },
    {
      path: '/api/v1/publish/bulk',
      tag: 'publish',
      operations: {
        POST: {
          summary: 'Publish several messages in order; each item succeeds or fails on its own',
          body: 'json',
          bodySchema: bulkPublishRequestSchema,
          responseSchema: bulkPublishResponseSchema,
          handle: async (req: Request, res: Response) => {
            const items = parseWith(bulkEnvelopeSchema, req.body)
            if (items.length > config.maxBulkItems) {
              throw new HubError('HUB_ERR_BAD_REQUEST', `body: ${items.length} items is more than the maximum of ${config.maxBulkItems}`, { details: { max: config.maxBulkItems } })
            }
            const identity = identityOf(res)
            const results = []
            let failed = 0
            // In order, one at a time: messages to one topic keep their order, as over one MQTT connection.
            for (const [index, item] of items.entries()) {
              try {
                const input = toMessageInput(parseWith(publishRequestSchema, item, `[${index}]`), limits)
                results.push({ ok: true as const, ...(await publishAs(ctx, identity, input)) })
              } catch (error) {
                failed++
                results.push({ ok: false as const, error: errorBody(toHubError(error)) })
              }
            }
            res.json({ published: items.length - failed, failed, results })
          },
        },
      },
    },
  ]
}

