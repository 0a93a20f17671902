import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { pino } from 'pino'
import { startTestHub } from '../helpers/hub.js'
import { collect, ruleDir, waitFor, writeRules } from './helpers.js'

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { log: pino({ level: 'info' }, stream), lines }
}

const rule = (id: string, target: string) => `
- id: ${id}
  sql: SELECT * FROM "in"
  actions: [{ republish: { topic: "${target}" } }]
`

test('an edited rule file is reloaded, and a bad edit keeps the old rules running and says why', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', rule('first', 'out/one'))
  const { log, lines } = capturingLogger()
  const hub = await startTestHub({ rules: { files: [file] } }, { log })
  t.after(() => hub.close())
  const out = collect(t, hub, 'out/#')
  const rules = hub.ctx.services.get('rules')

  writeFileSync(file, rule('second', 'out/two'))
  await waitFor('the reload', () => (rules?.get('second') !== undefined ? true : undefined))
  assert.equal(rules?.get('first'), undefined)
  await hub.ctx.publish({ topic: 'in', payload: Buffer.from('x') }, { protocol: 'http' })
  await waitFor('the reloaded rule to run', () => out[0])
  assert.equal(out[0]?.topic, 'out/two')

  writeFileSync(file, '- id: second\n  sql: SELECT * FROM "in" WHERE\n')
  const failure = await waitFor('the failed reload to be logged', () => lines.find((l) => String(l.msg).startsWith('rule file reload failed')))
  assert.match(String(failure.msg), /the previous rules keep running: .*rules\.yaml: rule "second": sql: SQL error at line 1, column 25/)
  await hub.ctx.publish({ topic: 'in', payload: Buffer.from('y') }, { protocol: 'http' })
  await waitFor('the old rule to keep running', () => out[1])
  assert.equal(out[1]?.topic, 'out/two')
})

test('a reload that would close a loop is refused', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', rule('ok', 'out/one'))
  const { log, lines } = capturingLogger()
  const hub = await startTestHub({ rules: { files: [file] } }, { log })
  t.after(() => hub.close())
  writeFileSync(file, rule('echo', 'in'))
  const failure = await waitFor('the failed reload to be logged', () => lines.find((l) => String(l.msg).startsWith('rule file reload failed')))
  assert.match(String(failure.msg), /rule loop: echo -> echo/)
  assert.ok(hub.ctx.services.get('rules')?.get('ok'))
})
