import { repoFile } from '../../helpers/paths.js'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parse } from 'yaml'
import { dryRun } from '../../../src/rules/dry-run.js'
import { ruleTestSchema } from '../../../src/rules/rule-schema.js'
import { listFunctionNames } from '../../../src/rules/sql/functions.js'

/**
 * docs/rules.md is the language reference; every ```yaml example block in it runs here, so the
 * documentation and the engine cannot drift apart.
 */
const doc = readFileSync(repoFile('docs/rules.md'), 'utf8')
const examples = [...doc.matchAll(/```yaml example\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string) as Record<string, unknown>)

test('docs/rules.md has runnable examples', () => {
  assert.ok(examples.length >= 8, `found ${examples.length} examples`)
})

for (const example of examples) {
  const sql = String(example.sql).trim()
  test(`docs example: ${sql.split('\n')[0]}`, () => {
    const { output, error, ...request } = example
    const result = dryRun(ruleTestSchema.parse(request))
    if (error !== undefined) {
      assert.equal(result.ok, false)
      assert.deepEqual({ line: (result as { line?: number }).line, column: (result as { column?: number }).column }, error)
      return
    }
    assert.ok(result.ok, `the example failed: ${JSON.stringify(result)}`)
    assert.equal(result.matched, true, 'the sample matches the FROM sources')
    assert.deepEqual(result.output, output)
  })
}

test('docs/rules.md documents every built-in function', () => {
  const missing = listFunctionNames().filter((name) => !doc.includes(`\`${name}(`) && !doc.includes(`\`${name}\``))
  assert.deepEqual(missing, [])
})
