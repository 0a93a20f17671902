/**
 * Rule management (DESIGN.md §5, §7): a thin layer over the RulesService the rules engine offers as
 * `ctx.services.get('rules')`. It is looked up per request, so the engine may start after this
 * bridge; when it is off the routes answer 503. Validation is the engine's (the same zod schema as
 * rule files); its HubErrors map to statuses in http-errors.ts.
 */
import type { Request, Response } from 'express'
import { HubError } from '../../../src/errors.js'
import type { HubContext, Services } from '../../../src/hub-context.js'
import type { Route } from '../route-table.js'

export function ruleRoutes(ctx: HubContext): Route[] {
  const service = (): Services['rules'] => {
    const rules = ctx.services.get('rules')
    if (rules === undefined) throw new HubError('HUB_ERR_UNAVAILABLE', 'the rules engine is not running (rules.enabled is false or it failed to start)')
    return rules
  }
  const ruleSchema = () => ctx.services.get('rules')?.schemas.rule
  const idOf = (req: Request): string => String(req.params.id)
  const notFound = (id: string) => new HubError('HUB_ERR_NOT_FOUND', `no rule with id ${id}`)
  const setEnabled = (enabled: boolean) => async (req: Request, res: Response) => void res.json(await service().setEnabled(idOf(req), enabled))

  return [
    {
      path: '/api/v1/rules',
      tag: 'rules',
      operations: {
        GET: { summary: 'Every rule, from files and from the API, with its metrics', admin: true, handle: (_req: Request, res: Response) => void res.json({ rules: service().list() }) },
        POST: {
          summary: 'Add a rule (validated like a rule file; loops are refused)',
          admin: true,
          body: 'json',
          bodySchema: ruleSchema,
          status: 201,
          handle: async (req: Request, res: Response) => void res.status(201).json(await service().create(req.body)),
        },
      },
    },
    {
      // Before `/api/v1/rules/:id`, which would otherwise take `test` for an id.
      path: '/api/v1/rules/test',
      tag: 'rules',
      operations: {
        POST: {
          summary: 'Dry run: a rule SQL against a sample message; 200 with the output or the error',
          admin: true,
          body: 'json',
          bodySchema: () => ctx.services.get('rules')?.schemas.test,
          handle: async (req: Request, res: Response) => void res.json(await service().test(req.body)),
        },
      },
    },
    {
      path: '/api/v1/rules/:id',
      tag: 'rules',
      operations: {
        GET: {
          summary: 'One rule with its metrics',
          admin: true,
          handle: (req: Request, res: Response) => {
            const rule = service().get(idOf(req))
            if (rule === undefined) throw notFound(idOf(req))
            res.json(rule)
          },
        },
        PUT: {
          summary: 'Replace an API rule (rules from files cannot be changed here)',
          admin: true,
          body: 'json',
          bodySchema: ruleSchema,
          handle: async (req: Request, res: Response) => void res.json(await service().replace(idOf(req), req.body)),
        },
        DELETE: {
          summary: 'Remove an API rule',
          admin: true,
          status: 204,
          handle: async (req: Request, res: Response) => {
            if (!(await service().remove(idOf(req)))) throw notFound(idOf(req))
            res.status(204).end()
          },
        },
      },
    },
    {
      path: '/api/v1/rules/:id/enable',
      tag: 'rules',
      operations: { POST: { summary: 'Enable a rule', admin: true, handle: setEnabled(true) } },
    },
    {
      path: '/api/v1/rules/:id/disable',
      tag: 'rules',
      operations: { POST: { summary: 'Disable a rule', admin: true, handle: setEnabled(false) } },
    },
  ]
}
