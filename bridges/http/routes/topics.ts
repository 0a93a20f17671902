/**
 * `/api/v1/topics/{topic}`: publish a raw body, read or clear the retained message; and the retained
 * listing. Topic levels are URL-encoded path segments (`%2B` for `+`, `%23` for `#`), and the route
 * captures the rest of the path, so `/api/v1/topics/a/b/c` is the topic `a/b/c`.
 */
import type { Request, Response } from 'express'
import { z } from 'zod'
import { HubError } from '../../../src/errors.js'
import type { HubContext } from '../../../src/hub-context.js'
import { isExpired } from '../../../src/message.js'
import { messageViewSchema, publishResponseSchema, rawPublishQuerySchema, retainedQuerySchema } from '../api-schemas.js'
import { parseWith } from '../http-errors.js'
import { assertMayPublish, assertMaySubscribe, identityOf } from '../identity.js'
import { assertTopicFilter, assertTopicName, entityTag, ifNoneMatchHits, rawToMessageInput, topicFromSegments, viewMessage } from '../mapping.js'
import type { Route } from '../route-table.js'
import type { HttpConfig } from '../schema.js'
import { publishAs } from './publish.js'

export function topicRoutes(ctx: HubContext, config: HttpConfig): Route[] {
  const limits = { maxPayloadBytes: config.maxPayloadBytes, maxTopicLevels: config.maxTopicLevels }

  /** The topic named by the path, checked like a PUBLISH topic. */
  const topicOf = (req: Request): string => {
    const topic = topicFromSegments(req.params.topic)
    assertTopicName(topic, config.maxTopicLevels)
    return topic
  }

  return [
    {
      path: '/api/v1/topics/*topic',
      tag: 'topics',
      operations: {
        POST: {
          summary: 'Publish the raw request body to the topic; Content-Type becomes the MQTT 5 content type',
          body: 'raw',
          querySchema: rawPublishQuerySchema,
          responseSchema: publishResponseSchema,
          handle: async (req: Request, res: Response) => {
            const query = parseWith(rawPublishQuerySchema, req.query)
            const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
            res.json(await publishAs(ctx, identityOf(res), rawToMessageInput(topicFromSegments(req.params.topic), body, req.headers['content-type'], query, limits)))
          },
        },
        GET: {
          summary: 'The retained message, raw, with its content type and an ETag (If-None-Match gives 304)',
          produces: '*/*',
          handle: async (req: Request, res: Response) => {
            const topic = topicOf(req)
            await assertMaySubscribe(ctx, identityOf(res), topic)
            const message = await ctx.retained.get(topic)
            if (message === undefined || isExpired(message)) throw new HubError('HUB_ERR_NOT_FOUND', `no retained message on ${topic}`)
            const etag = entityTag(message)
            res.setHeader('ETag', etag)
            res.setHeader('Cache-Control', 'no-cache')
            res.setHeader('Last-Modified', new Date(message.receivedAt).toUTCString())
            // RFC 9110 §13.1.2: If-None-Match that names the current tag gets 304 with no body
            if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
              res.status(304).end()
              return
            }
            res.setHeader('Content-Type', message.properties.contentType ?? 'application/octet-stream')
            res.setHeader('Content-Length', message.payload.length)
            res.end(message.payload)
          },
        },
        DELETE: {
          summary: 'Clear the retained message (nothing is published)',
          status: 204,
          handle: async (req: Request, res: Response) => {
            const topic = topicOf(req)
            // Clearing a retained message is what a retained empty PUBLISH does [MQTT-3.3.1-6], so it needs publish rights.
            await assertMayPublish(ctx, identityOf(res), topic)
            if (!(await ctx.retained.delete(topic))) throw new HubError('HUB_ERR_NOT_FOUND', `no retained message on ${topic}`)
            res.status(204).end()
          },
        },
      },
    },
    {
      path: '/api/v1/retained',
      tag: 'topics',
      operations: {
        GET: {
          summary: 'Retained messages matching a topic filter (default #)',
          querySchema: retainedQuerySchema,
          responseSchema: z.object({ messages: z.array(messageViewSchema), truncated: z.boolean() }),
          handle: async (req: Request, res: Response) => {
            const query = parseWith(retainedQuerySchema, req.query)
            assertTopicFilter(query.filter, config.maxTopicLevels)
            await assertMaySubscribe(ctx, identityOf(res), query.filter)
            const limit = Math.min(query.limit ?? config.maxRetainedList, config.maxRetainedList)
            const now = Date.now()
            const live = (await ctx.retained.match(query.filter)).filter((m) => !isExpired(m, now))
            res.json({ messages: live.slice(0, limit).map(viewMessage), truncated: live.length > limit })
          },
        },
      },
    },
  ]
}
