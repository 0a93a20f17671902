import { z } from 'zod'

/**
 * Who may call the admin endpoints (inspection, `DELETE /api/v1/clients/{id}`, rule management):
 * - `role`: only identities whose roles include `admin`;
 * - `loopback`: identities with the `admin` role, and any authenticated identity (anonymous included,
 *   when the hooks accept it) whose request comes from a loopback address;
 * - `any`: every authenticated identity.
 */
export const adminAccessSchema = z.enum(['role', 'loopback', 'any'])

/** `http:` section of the hub config. */
export const httpConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Bind address; defaults to the hub-wide `host`. */
    host: z.string().optional(),
    /** Largest message payload accepted, in bytes (as MQTT's maximum packet size); larger gets 413. */
    maxPayloadBytes: z.number().int().positive().default(1_048_576),
    /** Largest JSON request body (bulk publishes, base64 payloads), in bytes. */
    maxBodyBytes: z.number().int().positive().default(8 * 1_048_576),
    /** Most items in one `POST /api/v1/publish/bulk`. */
    maxBulkItems: z.number().int().positive().default(1000),
    /** Most topic levels in a published topic or a stream filter (as `mqtt.limits.maxTopicLevels`). */
    maxTopicLevels: z.number().int().positive().default(128),
    /** Seconds between keep-alive comments on a Server-Sent Events stream. */
    streamKeepAliveSeconds: z.number().positive().default(15),
    /** Bytes a stream may have waiting for a slow reader before it is cut off. */
    streamMaxBufferBytes: z.number().int().positive().default(1_048_576),
    /** Most retained messages one `GET /api/v1/retained` answers with. */
    maxRetainedList: z.number().int().positive().default(1000),
    adminAccess: adminAccessSchema.default('loopback'),
  })
  .strict()

export type HttpConfig = z.infer<typeof httpConfigSchema>
export type AdminAccess = z.infer<typeof adminAccessSchema>
