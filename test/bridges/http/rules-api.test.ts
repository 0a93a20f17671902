import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { HubError } from '../../../src/errors.js'
import type { Services } from '../../../src/hub-context.js'
import type { RuleTestResult, RuleView } from '../../../src/rules/service.js'
import { errorOf, postJson, startHttpHub, waitFor } from './http-helpers.js'

type RulesService = Services['rules']

const metrics = { matched: 0, passed: 0, failed: 0, actionsSucceeded: 0, actionsFailed: 0, retries: 0, latencyMs: 0 }

/**
 * A small in-memory RulesService with the contract of src/rules/service.ts, so the routes are tested
 * apart from the engine: a rule is `{ id, sql }`, `loop` in the SQL is a loop, file rules are read-only.
 */
function inMemoryRules(): RulesService {
  const ruleSchema = z.object({ id: z.string().min(1), sql: z.string().min(1) }).strict()
  const testSchema = z.object({ sql: z.string(), message: z.object({ topic: z.string(), payload: z.string() }) })
  const rules = new Map<string, RuleView>([['from-file', { id: 'from-file', source: 'file', file: 'rules.yaml', enabled: true, definition: { id: 'from-file', sql: 'SELECT 1' }, metrics }]])
  const validate = (definition: unknown) => {
    const parsed = ruleSchema.safeParse(definition)
    if (!parsed.success) throw new HubError('HUB_ERR_RULE_INVALID', `rule: ${parsed.error.issues[0]?.message}`, { details: parsed.error.issues })
    if (parsed.data.sql.includes('loop')) throw new HubError('HUB_ERR_RULE_LOOP', `rule ${parsed.data.id} republishes into its own source`)
    return parsed.data
  }
  const existing = (id: string) => {
    const rule = rules.get(id)
    if (rule === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `no rule ${id}`)
    return rule
  }
  return {
    list: () => [...rules.values()],
    get: (id) => rules.get(id),
    async create(definition) {
      const rule = validate(definition)
      const view: RuleView = { id: rule.id, source: 'api', enabled: true, definition: rule, metrics }
      rules.set(rule.id, view)
      return view
    },
    async replace(id, definition) {
      if (existing(id).source === 'file') throw new HubError('HUB_ERR_BAD_REQUEST', `rule ${id} comes from a file`)
      const rule = validate(definition)
      const view: RuleView = { id, source: 'api', enabled: true, definition: rule, metrics }
      rules.set(id, view)
      return view
    },
    async remove(id) {
      return rules.delete(id)
    },
    async setEnabled(id, enabled) {
      const view = { ...existing(id), enabled }
      rules.set(id, view)
      return view
    },
    async test(request): Promise<RuleTestResult> {
      const parsed = testSchema.parse(request)
      if (!parsed.sql.startsWith('SELECT')) return { ok: false, error: 'expected SELECT', line: 1, column: 1 }
      return { ok: true, matched: true, passed: true, output: { payload: parsed.message.payload } }
    },
    schemas: { rule: ruleSchema, test: testSchema },
  }
}

test('rule routes answer 503 while no rules engine offers its service', async (t) => {
  const { base } = await startHttpHub(t, { rules: { enabled: false } })
  const response = await fetch(`${base}/api/v1/rules`)
  assert.equal(response.status, 503)
  assert.equal((await errorOf(response)).code, 'HUB_ERR_UNAVAILABLE')
})

test('rules are listed, created, read, replaced, enabled, disabled and removed through the rules service', async (t) => {
  const { hub, base } = await startHttpHub(t, { rules: { enabled: false } })
  hub.ctx.services.provide('rules', inMemoryRules())

  const created = await postJson(`${base}/api/v1/rules`, { id: 'hot', sql: 'SELECT * FROM "t"' })
  assert.equal(created.status, 201)
  assert.equal(((await created.json()) as RuleView).source, 'api')
  const list = (await (await fetch(`${base}/api/v1/rules`)).json()) as { rules: RuleView[] }
  assert.deepEqual(list.rules.map((r) => r.id), ['from-file', 'hot'])
  assert.equal(((await (await fetch(`${base}/api/v1/rules/hot`)).json()) as RuleView).enabled, true)

  const replaced = await fetch(`${base}/api/v1/rules/hot`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'hot', sql: 'SELECT 2' }) })
  assert.equal(replaced.status, 200)
  assert.deepEqual(((await replaced.json()) as RuleView).definition, { id: 'hot', sql: 'SELECT 2' })

  assert.equal(((await (await fetch(`${base}/api/v1/rules/hot/disable`, { method: 'POST' })).json()) as RuleView).enabled, false)
  assert.equal(((await (await fetch(`${base}/api/v1/rules/hot/enable`, { method: 'POST' })).json()) as RuleView).enabled, true)

  assert.equal((await fetch(`${base}/api/v1/rules/hot`, { method: 'DELETE' })).status, 204)
  const gone = await fetch(`${base}/api/v1/rules/hot`)
  assert.equal(gone.status, 404)
  assert.match((await errorOf(gone)).message, /hot/)
  assert.equal((await fetch(`${base}/api/v1/rules/hot`, { method: 'DELETE' })).status, 404)
})

test('rule service errors map to statuses: invalid 400, loop 409, unknown 404, file rules 400', async (t) => {
  const { hub, base } = await startHttpHub(t, { rules: { enabled: false } })
  hub.ctx.services.provide('rules', inMemoryRules())
  const invalid = await postJson(`${base}/api/v1/rules`, { id: 'x' })
  assert.equal(invalid.status, 400)
  const error = await errorOf(invalid)
  assert.equal(error.code, 'HUB_ERR_RULE_INVALID')
  assert.ok(Array.isArray(error.details))
  const loop = await postJson(`${base}/api/v1/rules`, { id: 'x', sql: 'loop' })
  assert.equal(loop.status, 409)
  assert.equal((await errorOf(loop)).code, 'HUB_ERR_RULE_LOOP')
  assert.equal((await fetch(`${base}/api/v1/rules/none/enable`, { method: 'POST' })).status, 404)
  const fileRule = await fetch(`${base}/api/v1/rules/from-file`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"id":"from-file","sql":"SELECT 3"}' })
  assert.equal(fileRule.status, 400)
  const badJson = await postJson(`${base}/api/v1/rules`, '{')
  assert.equal(badJson.status, 400)
})

test('POST /api/v1/rules/test is a dry run that answers with the output or the error', async (t) => {
  const { hub, base } = await startHttpHub(t, { rules: { enabled: false } })
  hub.ctx.services.provide('rules', inMemoryRules())
  const ok = await postJson(`${base}/api/v1/rules/test`, { sql: 'SELECT payload', message: { topic: 't', payload: 'p' } })
  assert.equal(ok.status, 200)
  assert.deepEqual(await ok.json(), { ok: true, matched: true, passed: true, output: { payload: 'p' } })
  const failing = await postJson(`${base}/api/v1/rules/test`, { sql: 'DROP', message: { topic: 't', payload: 'p' } })
  assert.deepEqual(await failing.json(), { ok: false, error: 'expected SELECT', line: 1, column: 1 })
})

test('the OpenAPI document describes rule bodies with the rules engine schema when it runs', async (t) => {
  const { hub, base } = await startHttpHub(t, { rules: { enabled: false } })
  const service = inMemoryRules()
  hub.ctx.services.provide('rules', service)
  const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref: string } }> } }>>; components: { schemas: Record<string, unknown> } }
  const ref = doc.paths['/api/v1/rules']?.post?.requestBody?.content['application/json']?.schema.$ref ?? ''
  const { $schema: _, ...expected } = z.toJSONSchema(service.schemas.rule, { io: 'input' }) as Record<string, unknown>
  assert.deepEqual(doc.components.schemas[ref.replace('#/components/schemas/', '')], expected)
})

test('with the rules engine running, a rule added over HTTP republishes messages published over HTTP', async (t) => {
  const { hub, base } = await startHttpHub(t)
  const alerts: string[] = []
  t.after(hub.ctx.subscribe('alerts/#', (m) => void alerts.push(`${m.topic} ${m.payload.toString()}`)))
  const created = await postJson(`${base}/api/v1/rules`, {
    id: 'overheat',
    sql: 'SELECT payload.t AS t, topic(2) AS room FROM "rooms/+/temp" WHERE payload.t > 30',
    actions: [{ republish: { topic: 'alerts/${room}', payload: '${t}' } }],
  })
  assert.equal(created.status, 201)
  await postJson(`${base}/api/v1/publish`, { topic: 'rooms/attic/temp', payload: { t: 20 } })
  await postJson(`${base}/api/v1/publish`, { topic: 'rooms/attic/temp', payload: { t: 35 } })
  await waitFor(() => alerts.length > 0, 'the republished alert')
  assert.deepEqual(alerts, ['alerts/attic 35'])
  const invalid = await postJson(`${base}/api/v1/rules`, { id: 'broken', sql: 'SELEC x' })
  assert.equal(invalid.status, 400)
  assert.equal((await errorOf(invalid)).code, 'HUB_ERR_RULE_INVALID')
})
