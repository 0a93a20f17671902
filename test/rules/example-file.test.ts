import { repoFile } from '../helpers/paths.js'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'

const example = repoFile('config/rules.example.yaml')

test('the shipped config/rules.example.yaml loads and its rules are listed', async (t) => {
  const hub = await startTestHub({ rules: { files: [example], watch: false } })
  t.after(() => hub.close())
  const rules = hub.ctx.services.get('rules')?.list() ?? []
  assert.deepEqual(
    rules.map((r) => [r.id, r.enabled, r.source]),
    [
      ['overheat', true, 'file'],
      ['fahrenheit-to-celsius', true, 'file'],
      ['presence', true, 'file'],
      ['heartbeat', true, 'file'],
      ['debug-everything', false, 'file'],
    ],
  )
})
