import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'

const example = fileURLToPath(new URL('../../config/rules.example.yaml', import.meta.url))

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
