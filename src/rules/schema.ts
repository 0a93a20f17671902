import { z } from 'zod'

/** `rules:` section of the hub config. */
export const rulesConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Rule files (YAML lists of rules, see docs/rules.md), relative to the config file's folder. */
    files: z.array(z.string()).default([]),
    /** Reload a rule file when it changes; a bad edit keeps the previous rules running. */
    watch: z.boolean().default(true),
  })
  .strict()

export type RulesConfig = z.infer<typeof rulesConfigSchema>
