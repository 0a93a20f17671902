/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route table and from the very zod schemas
 * that validate requests (`z.toJSONSchema`), so the description cannot disagree with the behaviour.
 * OpenAPI 3.1 uses JSON Schema 2020-12, zod's default target.
 */
import { z } from 'zod'
import {
  bulkPublishRequestSchema,
  bulkPublishResponseSchema,
  errorResponseSchema,
  messagePropertiesSchema,
  messageViewSchema,
  publishRequestSchema,
  publishResponseSchema,
} from './api-schemas.js'
import { toOpenApiPath, type Method, type Operation, type Route } from './route-table.js'

/** Schemas shown under their own names in `components.schemas`. */
const NAMED_SCHEMAS: Array<[string, z.ZodType]> = [
  ['PublishRequest', publishRequestSchema],
  ['BulkPublishRequest', bulkPublishRequestSchema],
  ['MessageProperties', messagePropertiesSchema],
  ['PublishResponse', publishResponseSchema],
  ['BulkPublishResponse', bulkPublishResponseSchema],
  ['MessageView', messageViewSchema],
  ['ErrorResponse', errorResponseSchema],
]

type JsonObject = Record<string, unknown>

/** Build the document. Rule schemas come from the rules engine at call time, so it is built per request. */
export function buildOpenApiDocument(routes: readonly Route[]): JsonObject {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of NAMED_SCHEMAS) registry.add(schema, { id })
  /** The component id of a schema, registering it under `fallbackId` when it has none yet. */
  const idOf = (schema: z.ZodType, fallbackId: string): string => {
    const known = registry.get(schema)?.id
    if (known !== undefined) return known
    registry.add(schema, { id: fallbackId })
    return fallbackId
  }

  const paths: Record<string, Record<string, JsonObject>> = {}
  for (const route of routes) {
    const path = toOpenApiPath(route.path)
    const item: Record<string, JsonObject> = (paths[path] ??= {})
    for (const [method, operation] of Object.entries(route.operations) as Array<[Method, Operation]>) {
      const operationId = operationIdOf(method, route.path)
      const body = resolve(operation.bodySchema)
      const response = resolve(operation.responseSchema)
      item[method.toLowerCase()] = describeOperation(route, operation, operationId, {
        bodyRef: body === undefined ? undefined : ref(idOf(body, `${capitalize(operationId)}Body`)),
        responseRef: response === undefined ? undefined : ref(idOf(response, `${capitalize(operationId)}Response`)),
      })
    }
  }

  // One call over the registry, so schemas used inside others become $refs instead of copies.
  // Rule schemas come from another plug-in and may hold checks JSON Schema cannot express: those become {}.
  const generated = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` })
  const schemas: Record<string, JsonObject> = {}
  for (const [id, schema] of Object.entries(generated.schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject
    schemas[id] = rest
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Junction HTTP API',
      version: '1.0.0',
      description: 'Publish, read, stream and manage an MQTT hub over HTTP. Errors are { "error": { "code", "message", "details"? } }.',
    },
    // Anonymous requests are allowed when the hub's hooks allow them (the embedded default does).
    security: [{}, { basic: [] }, { bearer: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A hub user' },
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token' },
      },
    },
  }
}

function describeOperation(route: Route, operation: Operation, operationId: string, refs: { bodyRef: JsonObject | undefined; responseRef: JsonObject | undefined }): JsonObject {
  const parameters = [...pathParameters(route.path), ...queryParameters(operation.querySchema)]
  const status = String(operation.status ?? 200)
  const success: JsonObject = { description: operation.summary }
  if (status !== '204') {
    const mediaType = operation.produces ?? 'application/json'
    success.content = { [mediaType]: { schema: mediaType === 'application/json' ? (refs.responseRef ?? {}) : {} } }
  }
  const described: JsonObject = {
    operationId,
    tags: [route.tag],
    summary: operation.summary,
    responses: { [status]: success, default: { description: 'An error', content: { 'application/json': { schema: ref('ErrorResponse') } } } },
  }
  if (operation.admin === true) described.description = 'Needs the admin role (see http.adminAccess).'
  if (operation.public === true) described.security = []
  if (parameters.length > 0) described.parameters = parameters
  if (operation.body === 'json') {
    described.requestBody = { required: true, content: { 'application/json': { schema: refs.bodyRef ?? {} } } }
  } else if (operation.body === 'raw') {
    described.requestBody = { required: false, description: 'The payload, as is; its Content-Type becomes the MQTT 5 content type', content: { '*/*': { schema: {} } } }
  }
  return described
}

function pathParameters(path: string): JsonObject[] {
  return [...path.matchAll(/([:*])(\w+)/g)].map(([, kind, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    description: kind === '*' ? 'The MQTT topic: levels separated by /, each URL-encoded (%2B for +, %23 for #)' : undefined,
  }))
}

function queryParameters(schema: z.ZodObject | undefined): JsonObject[] {
  if (schema === undefined) return []
  const json = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, JsonObject>; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }))
}

function resolve(schema: Operation['bodySchema']): z.ZodType | undefined {
  return typeof schema === 'function' ? schema() : schema
}

function ref(id: string): JsonObject {
  return { $ref: `#/components/schemas/${id}` }
}

/** `POST /api/v1/rules/:id/enable` -> `postRulesIdEnable`. */
function operationIdOf(method: Method, path: string): string {
  const words = path.replace(/^\/api\/v1/, '').split(/[^A-Za-z0-9]+/).filter((w) => w !== '')
  return method.toLowerCase() + words.map(capitalize).join('')
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}
