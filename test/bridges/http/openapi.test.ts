import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { publishRequestSchema, rawPublishQuerySchema } from '../../../bridges/http/api-schemas.js'
import { startHttpHub } from './http-helpers.js'

type Json = Record<string, unknown>
interface OpenApiDoc {
  openapi: string
  paths: Record<string, Record<string, Json & { requestBody?: { content: Record<string, { schema: Json }> }; parameters?: Array<Json & { name: string; schema: Json }> }>>
  components: { schemas: Record<string, Json> }
}

/** Replace every `#/components/schemas/X` reference by the schema it names. */
function inlineRefs(value: unknown, schemas: Record<string, Json>): unknown {
  if (Array.isArray(value)) return value.map((v) => inlineRefs(v, schemas))
  if (typeof value !== 'object' || value === null) return value
  const ref = (value as Json).$ref
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) return inlineRefs(schemas[ref.slice('#/components/schemas/'.length)], schemas)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inlineRefs(v, schemas)]))
}

test('GET /api/v1/openapi.json is an OpenAPI 3.1 document whose publish body is the JSON Schema of the validating zod schema', async (t) => {
  const { base } = await startHttpHub(t)
  const response = await fetch(`${base}/api/v1/openapi.json`)
  assert.equal(response.status, 200)
  const doc = (await response.json()) as OpenApiDoc
  assert.equal(doc.openapi, '3.1.0')
  const body = doc.paths['/api/v1/publish']?.post?.requestBody?.content['application/json']?.schema
  assert.deepEqual(body, { $ref: '#/components/schemas/PublishRequest' })
  const { $schema: _, ...expected } = z.toJSONSchema(publishRequestSchema, { io: 'input' }) as Json
  assert.deepEqual(inlineRefs(body, doc.components.schemas), expected)
  const bulkItems = inlineRefs(doc.paths['/api/v1/publish/bulk']?.post?.requestBody?.content['application/json']?.schema, doc.components.schemas) as Json
  assert.deepEqual(bulkItems.items, expected)
})

test('the OpenAPI document lists every route, with query parameters from the zod query schemas', async (t) => {
  const { base } = await startHttpHub(t)
  const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as OpenApiDoc
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
  for (const expected of [
    'POST /api/v1/publish',
    'POST /api/v1/publish/bulk',
    'POST /api/v1/topics/{topic}',
    'GET /api/v1/topics/{topic}',
    'DELETE /api/v1/topics/{topic}',
    'GET /api/v1/retained',
    'GET /api/v1/stream',
    'GET /api/v1/clients',
    'DELETE /api/v1/clients/{id}',
    'GET /api/v1/sessions',
    'GET /api/v1/subscriptions',
    'GET /api/v1/stats',
    'GET /api/v1/rules',
    'POST /api/v1/rules',
    'POST /api/v1/rules/test',
    'GET /api/v1/rules/{id}',
    'PUT /api/v1/rules/{id}',
    'DELETE /api/v1/rules/{id}',
    'POST /api/v1/rules/{id}/enable',
    'POST /api/v1/rules/{id}/disable',
    'GET /metrics',
    'GET /healthz',
    'GET /readyz',
    'GET /api/v1/openapi.json',
  ]) {
    assert.ok(operations.includes(expected), `${expected} is missing from ${operations.join(', ')}`)
  }
  const raw = doc.paths['/api/v1/topics/{topic}']?.post
  const query = z.toJSONSchema(rawPublishQuerySchema, { io: 'input' }) as { properties: Record<string, Json> }
  assert.deepEqual(raw?.parameters?.find((p) => p.name === 'qos')?.schema, query.properties.qos)
  assert.deepEqual(raw?.parameters?.find((p) => p.name === 'topic')?.in, 'path')
})
