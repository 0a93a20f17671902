/**
 * The express application of the HTTP bridge, built from the route table. Kept apart from the server
 * (index.ts) so it can be embedded or measured on its own.
 */
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import { HubError } from '../../src/errors.js'
import type { HubContext } from '../../src/hub-context.js'
import { streamQuerySchema } from './api-schemas.js'
import { createErrorHandler } from './http-errors.js'
import { createAuthenticate, createRequireAdmin } from './identity.js'
import { registerMetrics } from './metrics.js'
import type { Method, Operation, Route } from './route-table.js'
import { adminRoutes } from './routes/admin.js'
import { opsRoutes } from './routes/ops.js'
import { publishRoutes } from './routes/publish.js'
import { ruleRoutes } from './routes/rules.js'
import { topicRoutes } from './routes/topics.js'
import type { HttpConfig } from './schema.js'
import { createStreams } from './stream.js'

export interface HttpApp {
  readonly app: Express
  readonly routes: readonly Route[]
  /** End open streams and take this app's metrics out of `ctx.metrics`. */
  close(): void
}

/** Build the API on a hub context; the caller serves `app` (index.ts does, on `http.port`). */
export function createHttpApp(ctx: HubContext, config: HttpConfig): HttpApp {
  const metrics = registerMetrics(ctx)
  const streams = createStreams(ctx, config, metrics)
  const routes: Route[] = [
    ...opsRoutes(ctx, () => routes),
    ...publishRoutes(ctx, config),
    ...topicRoutes(ctx, config),
    {
      path: '/api/v1/stream',
      tag: 'topics',
      operations: {
        GET: {
          summary: 'Server-Sent Events: every message matching the filter (wildcards allowed), also on topics with no retained message',
          querySchema: streamQuerySchema,
          produces: 'text/event-stream',
          handle: streams.handle,
        },
      },
    },
    ...adminRoutes(ctx),
    ...ruleRoutes(ctx),
  ]

  const app = express()
  app.disable('x-powered-by')
  // Entity tags are ours (retained messages); hashing every JSON answer would only cost time.
  app.set('etag', false)
  app.use((req: Request, res: Response, next: NextFunction) => {
    ctx.stats.requests.http++
    res.once('close', () => metrics.requests.inc({ method: req.method, route: req.route?.path ?? 'unmatched', status: String(res.statusCode) }))
    next()
  })

  const stages = {
    authenticate: createAuthenticate(ctx),
    requireAdmin: createRequireAdmin(config.adminAccess),
    // Parsed as JSON whatever the Content-Type says, so `curl -d '{...}'` works without -H.
    json: express.json({ limit: config.maxBodyBytes, type: () => true, strict: false }),
    raw: express.raw({ limit: config.maxPayloadBytes, type: () => true }),
  }
  for (const route of routes) mountRoute(app, route, stages)

  app.use((req: Request) => {
    throw new HubError('HUB_ERR_NOT_FOUND', `no route ${req.method} ${req.path}`)
  })
  app.use(createErrorHandler(ctx.log))

  return {
    app,
    routes,
    close() {
      streams.closeAll()
      metrics.remove()
    },
  }
}

interface Stages {
  authenticate: RequestHandler
  requireAdmin: RequestHandler
  json: RequestHandler
  raw: RequestHandler
}

/** Register a route's operations, then a 405 with `Allow` for every other method (RFC 9110 §15.5.6). */
function mountRoute(app: Express, route: Route, stages: Stages): void {
  const entry = app.route(route.path)
  const methods = Object.entries(route.operations) as Array<[Method, Operation]>
  for (const [method, operation] of methods) {
    const chain: RequestHandler[] = []
    // Authentication before the body is read: an unauthenticated request costs no parsing.
    if (operation.public !== true) chain.push(stages.authenticate)
    if (operation.admin === true) chain.push(stages.requireAdmin)
    if (operation.body === 'json') chain.push(stages.json)
    if (operation.body === 'raw') chain.push(stages.raw)
    chain.push(operation.handle)
    entry[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](...chain)
  }
  const allowed: string[] = methods.map(([method]) => method)
  if (allowed.includes('GET')) allowed.push('HEAD')
  allowed.push('OPTIONS')
  const allow = allowed.join(', ')
  entry.all((req: Request, res: Response) => {
    res.setHeader('Allow', allow)
    if (req.method === 'OPTIONS') {
      res.status(204).end()
      return
    }
    throw new HubError('HUB_ERR_METHOD_NOT_ALLOWED', `${req.method} is not supported on ${req.path}; use ${allow}`)
  })
}
