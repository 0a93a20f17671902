import { z } from 'zod'

/** `rules:` section of the hub config. */
export const rulesConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Rule files (YAML), relative to the config file's folder. */
    files: z.array(z.string()).default([]),
  })
  .strict()

export type RulesConfig = z.infer<typeof rulesConfigSchema>
