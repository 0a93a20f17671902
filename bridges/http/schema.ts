import { z } from 'zod'

/** `http:` section of the hub config. */
export const httpConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Bind address; defaults to the hub-wide `host`. */
    host: z.string().optional(),
  })
  .strict()

export type HttpConfig = z.infer<typeof httpConfigSchema>
