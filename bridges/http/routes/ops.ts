/**
 * Operations endpoints: Prometheus metrics, liveness, readiness and the API description. They need
 * no credentials, as scrapers and orchestrators call them; they show counts, never message data.
 */
import type { Request, Response } from 'express'
import { HubError } from '../../../src/errors.js'
import type { HubContext } from '../../../src/hub-context.js'
import { buildOpenApiDocument } from '../openapi.js'
import type { Route } from '../route-table.js'

/** `routes` is the whole table, read when the document is asked for. */
export function opsRoutes(ctx: HubContext, routes: () => readonly Route[]): Route[] {
  return [
    {
      path: '/metrics',
      tag: 'operations',
      operations: {
        GET: {
          summary: 'Prometheus text format: connections, messages and bytes by protocol, retained count, drops, errors, HTTP requests',
          public: true,
          produces: 'text/plain',
          handle: async (_req: Request, res: Response) => {
            const text = await ctx.metrics.metrics()
            res.setHeader('Content-Type', ctx.metrics.contentType)
            res.end(text)
          },
        },
      },
    },
    {
      path: '/healthz',
      tag: 'operations',
      operations: { GET: { summary: 'Liveness: 200 while the process serves', public: true, handle: (_req: Request, res: Response) => void res.json({ status: 'ok' }) } },
    },
    {
      path: '/readyz',
      tag: 'operations',
      operations: {
        GET: {
          summary: 'Readiness: 200 only when every configured listener is up, else 503',
          public: true,
          handle: (_req: Request, res: Response) => {
            if (!ctx.inspect.ready()) throw new HubError('HUB_ERR_UNAVAILABLE', 'the hub is not ready: a listener is not up yet or it is shutting down')
            res.json({ status: 'ready' })
          },
        },
      },
    },
    {
      path: '/api/v1/openapi.json',
      tag: 'operations',
      operations: {
        GET: { summary: 'This API as an OpenAPI 3.1 document', public: true, handle: (_req: Request, res: Response) => void res.json(buildOpenApiDocument(routes())) },
      },
    },
  ]
}
