import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseDocument } from 'yaml'
import type { z } from 'zod'
import { HubError } from '../errors.js'
import { PACKAGE_ROOT } from '../package-info.js'
import { hubConfigSchema, type HubConfig } from './schema.js'

/** The embedded default config, shipped in the package. */
export const DEFAULT_CONFIG_FILE = resolve(PACKAGE_ROOT, 'config/junction.yaml')

export interface LoadedConfig {
  config: HubConfig
  /** The file it came from; relative paths inside it resolve against its folder. */
  file: string
}

/** Environment variables that override single keys, so scripts can run several hubs side by side. */
const ENV_OVERRIDES: Array<{ name: string; path: string[]; type: 'string' | 'port' }> = [
  { name: 'JUNCTION_HOST', path: ['host'], type: 'string' },
  { name: 'JUNCTION_MQTT_PORT', path: ['mqtt', 'tcp', 'port'], type: 'port' },
  { name: 'JUNCTION_WS_PORT', path: ['mqtt', 'ws', 'port'], type: 'port' },
  { name: 'JUNCTION_HTTP_PORT', path: ['http', 'port'], type: 'port' },
  { name: 'JUNCTION_COAP_PORT', path: ['coap', 'port'], type: 'port' },
  { name: 'JUNCTION_DATA_DIR', path: ['storage', 'dataDir'], type: 'string' },
  { name: 'JUNCTION_LOG_LEVEL', path: ['log', 'level'], type: 'string' },
]

/**
 * Which file to read: an explicit path, else `JUNCTION_CONFIG`, else `config/junction.yaml` in the
 * working directory, else the embedded default.
 */
export function resolveConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (explicit !== undefined) return resolve(cwd, explicit)
  if (env.JUNCTION_CONFIG) return resolve(cwd, env.JUNCTION_CONFIG)
  const local = resolve(cwd, 'config/junction.yaml')
  return existsSync(local) ? local : DEFAULT_CONFIG_FILE
}

/** Read, override from the environment and validate a config file; errors name file, key and expectation. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new HubError('HUB_ERR_CONFIG_INVALID', `${file}: cannot read the config file (${(error as Error).message})`, { cause: error })
  }
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    throw new HubError('HUB_ERR_CONFIG_INVALID', `${file}: invalid YAML: ${first?.message ?? 'parse error'}`)
  }
  const raw: unknown = doc.toJS() ?? {}
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HubError('HUB_ERR_CONFIG_INVALID', `${file}: the top level must be a mapping of keys, got ${Array.isArray(raw) ? 'a list' : typeof raw}`)
  }
  applyEnvOverrides(raw as Record<string, unknown>, env)
  return { config: parseConfig(raw, file), file }
}

/** Validate an in-memory config object (library use); `source` names it in errors. */
export function parseConfig(raw: unknown, source = 'config'): HubConfig {
  const result = hubConfigSchema.safeParse(raw)
  if (!result.success) throw new HubError('HUB_ERR_CONFIG_INVALID', formatZodError(source, result.error), { details: result.error.issues })
  return result.data
}

/** `file: key.path: what was expected` lines, one per problem. */
export function formatZodError(source: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)'
      return `${source}: ${path}: ${issue.message}`
    })
    .join('\n')
}

function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const { name, path, type } of ENV_OVERRIDES) {
    const value = env[name]
    if (value === undefined || value === '') continue
    let parsed: string | number = value
    if (type === 'port') {
      parsed = Number(value)
      if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
        throw new HubError('HUB_ERR_CONFIG_INVALID', `environment ${name}: expected a port number 0-65535, got "${value}"`)
      }
    }
    let node = raw
    for (const key of path.slice(0, -1)) {
      const next = node[key]
      if (typeof next !== 'object' || next === null) node[key] = {}
      node = node[key] as Record<string, unknown>
    }
    node[path[path.length - 1] as string] = parsed
  }
}
