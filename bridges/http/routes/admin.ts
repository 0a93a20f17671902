/**
 * Inspection (DESIGN.md §5): clients, sessions, subscriptions and counters, read through
 * `ctx.inspect`; and disconnecting a client. All need the admin role (see `http.adminAccess`).
 */
import type { Request, Response } from 'express'
import { HubError } from '../../../src/errors.js'
import type { HubContext } from '../../../src/hub-context.js'
import { subscriptionsQuerySchema } from '../api-schemas.js'
import { parseWith } from '../http-errors.js'
import type { Route } from '../route-table.js'

export function adminRoutes(ctx: HubContext): Route[] {
  return [
    {
      path: '/api/v1/clients',
      tag: 'inspection',
      operations: {
        GET: { summary: 'Connected clients', admin: true, handle: (_req: Request, res: Response) => void res.json({ clients: ctx.inspect.clients() }) },
      },
    },
    {
      path: '/api/v1/clients/:id',
      tag: 'inspection',
      operations: {
        DELETE: {
          summary: 'Disconnect a client (MQTT 5: DISCONNECT with reason 0x98 Administrative action)',
          admin: true,
          status: 204,
          handle: (req: Request, res: Response) => {
            const clientId = String(req.params.id)
            if (!ctx.inspect.disconnect(clientId)) throw new HubError('HUB_ERR_NOT_FOUND', `no connected client ${clientId}`)
            res.status(204).end()
          },
        },
      },
    },
    {
      path: '/api/v1/sessions',
      tag: 'inspection',
      operations: {
        GET: { summary: 'Sessions, connected or kept for later', admin: true, handle: async (_req: Request, res: Response) => void res.json({ sessions: await ctx.inspect.sessions() }) },
      },
    },
    {
      path: '/api/v1/subscriptions',
      tag: 'inspection',
      operations: {
        GET: {
          summary: 'Subscriptions with their filters and QoS; ?clientId= narrows to one client',
          admin: true,
          querySchema: subscriptionsQuerySchema,
          handle: (req: Request, res: Response) => {
            const { clientId } = parseWith(subscriptionsQuerySchema, req.query)
            const all = ctx.inspect.subscriptions()
            res.json({ subscriptions: clientId === undefined ? all : all.filter((s) => s.clientId === clientId) })
          },
        },
      },
    },
    {
      path: '/api/v1/stats',
      tag: 'inspection',
      operations: {
        GET: {
          summary: 'Hub counters and the retained message count',
          admin: true,
          handle: async (_req: Request, res: Response) => {
            const stats = ctx.stats
            res.json({
              uptimeSeconds: Math.floor((Date.now() - stats.startedAt) / 1000),
              connections: stats.connections,
              connectionsTotal: stats.connectionsTotal,
              messagesIn: stats.messagesIn,
              messagesOut: stats.messagesOut,
              bytesIn: stats.bytesIn,
              bytesOut: stats.bytesOut,
              messagesDropped: stats.messagesDropped,
              protocolErrors: stats.protocolErrors,
              limitBreaches: stats.limitBreaches,
              requests: stats.requests,
              retained: await ctx.retained.count(),
            })
          },
        },
      },
    },
  ]
}
