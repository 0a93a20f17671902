import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { HubError } from '../errors.js'
import { parseRuleDefinition } from './compile-rule.js'
import type { RuleDefinition } from './rule-schema.js'

/** Resolve `rules.files` entries against the config file's folder. */
export function resolveRuleFiles(files: readonly string[], configDir: string): string[] {
  return files.map((file) => resolve(configDir, file))
}

/**
 * Read and validate one rule file: a YAML list of rules. Errors name the file, the rule id, the key
 * path and what was expected (`config/rules.yaml: rule "overheat": actions.0.http.url: expected ...`).
 */
export function readRuleFile(file: string): RuleDefinition[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new HubError('HUB_ERR_RULE_INVALID', `${file}: cannot read the rule file (${(error as Error).message})`, { cause: error })
  }
  return parseRuleFileText(text, file)
}

/** Validate rule-file text; `file` names it in errors. */
export function parseRuleFileText(text: string, file: string): RuleDefinition[] {
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    throw new HubError('HUB_ERR_RULE_INVALID', `${file}: invalid YAML: ${doc.errors[0]?.message ?? 'parse error'}`)
  }
  const raw: unknown = doc.toJS() ?? []
  if (!Array.isArray(raw)) throw new HubError('HUB_ERR_RULE_INVALID', `${file}: expected a list of rules (- id: ...), got ${typeof raw}`)
  const problems: string[] = []
  const rules: RuleDefinition[] = []
  const seen = new Set<string>()
  raw.forEach((entry: unknown, index) => {
    try {
      const rule = parseRuleDefinition(entry, { source: 'file', file })
      if (seen.has(rule.id)) problems.push(`${file}: rule "${rule.id}": id: the id is used twice in this file`)
      seen.add(rule.id)
      rules.push(rule)
    } catch (error) {
      const message = (error as Error).message
      // entries without a usable id are named by position
      problems.push(message.includes(': rule "') ? message : message.replaceAll(`${file}: rule:`, `${file}: rule #${index + 1}:`))
    }
  })
  if (problems.length > 0) throw new HubError('HUB_ERR_RULE_INVALID', problems.join('\n'))
  return rules
}

/**
 * Watch rule files and call `onChange(file)` once things settle after a change. Folders are watched
 * rather than files, because editors often save by writing a new file and renaming it over the old one,
 * which ends a watch on the old file.
 */
export function watchRuleFiles(files: readonly string[], onChange: (file: string) => void, onError: (error: Error) => void, debounceMs = 150): () => void {
  const byDir = new Map<string, Set<string>>()
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set()
    names.add(basename(file))
    byDir.set(dirname(file), names)
  }
  const timers = new Map<string, NodeJS.Timeout>()
  const watchers: FSWatcher[] = []
  for (const [dir, names] of byDir) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        const changed = name === null ? undefined : basename(name.toString())
        // some platforms report no name: then every watched file in the folder is re-read
        const targets = changed === undefined ? [...names] : names.has(changed) ? [changed] : []
        for (const target of targets) {
          const file = resolve(dir, target)
          clearTimeout(timers.get(file))
          timers.set(
            file,
            setTimeout(() => {
              timers.delete(file)
              onChange(file)
            }, debounceMs),
          )
        }
      })
      watcher.on('error', onError)
      watchers.push(watcher)
    } catch (error) {
      onError(error as Error)
    }
  }
  return () => {
    for (const watcher of watchers) watcher.close()
    for (const timer of timers.values()) clearTimeout(timer)
    timers.clear()
  }
}
