import { z } from 'zod'

/** `coap:` section of the hub config. */
export const coapConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    port: z.number().int().min(0).max(65535).default(5683),
    /** Bind address; defaults to the hub-wide `host`. */
    host: z.string().optional(),
  })
  .strict()

export type CoapConfig = z.infer<typeof coapConfigSchema>
