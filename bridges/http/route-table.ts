import type { RequestHandler } from 'express'
import type { z } from 'zod'

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * One operation of the API. The same entry registers the express handler (app.ts) and describes it in
 * the OpenAPI document (openapi.ts), so routes and document cannot drift apart.
 */
export interface Operation {
  summary: string
  /** Needs the admin role (see `http.adminAccess`). */
  admin?: boolean
  /** How the body is read: parsed as JSON whatever its Content-Type, or kept as raw bytes. */
  body?: 'json' | 'raw'
  /** The schema the JSON body is validated with; a function when another plug-in supplies it at run time. */
  bodySchema?: z.ZodType | (() => z.ZodType | undefined)
  querySchema?: z.ZodObject
  responseSchema?: z.ZodType | (() => z.ZodType | undefined)
  /** Status of a success; 200 unless said. */
  status?: number
  /** Media type of a success when it is not JSON. */
  produces?: string
  /** No authentication (health, metrics, the API description). */
  public?: boolean
  handle: RequestHandler
}

/** A path (express syntax: `:id`, `*topic`) and its operations. */
export interface Route {
  path: string
  tag: string
  operations: Partial<Record<Method, Operation>>
}

/** `/api/v1/topics/*topic` -> `/api/v1/topics/{topic}` (OpenAPI path templating). */
export function toOpenApiPath(path: string): string {
  return path.replace(/[:*](\w+)/g, '{$1}')
}
