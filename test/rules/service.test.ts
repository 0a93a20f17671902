import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.js'
import { isHubError, type HubErrorCode } from '../../src/errors.js'
import { silentLogger } from '../../src/log.js'
import type { RulesService } from '../../src/rules/service.js'
import { openStores } from '../../src/store/create-stores.js'
import { startTestHub } from '../helpers/hub.js'
import { collect, ruleDir, waitFor, writeRules } from './helpers.js'

function rulesOf(hub: { ctx: { services: { get(name: 'rules'): RulesService | undefined } } }): RulesService {
  const service = hub.ctx.services.get('rules')
  assert.ok(service, 'the rules engine offers the rules service')
  return service
}

async function rejectsWith(promise: Promise<unknown>, code: HubErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isHubError(error, code), `expected ${code}, got ${String(error)}`)
    assert.match(error.message, message)
    return true
  })
}

test('API rules are created, listed, replaced, disabled, enabled and removed, and take effect at once', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const rules = rulesOf(hub)
  const out = collect(t, hub, 'out/#')

  const created = await rules.create({ id: 'copy', sql: 'SELECT payload.v AS v FROM "in/+"', actions: [{ republish: { topic: 'out/${v}' } }] })
  assert.equal(created.source, 'api')
  assert.equal(created.enabled, true)
  assert.deepEqual(rules.list().map((r) => r.id), ['copy'])
  assert.equal((await hub.ctx.ruleStore.get('copy'))?.enabled, true)
  await hub.ctx.publish({ topic: 'in/a', payload: Buffer.from('{"v":1}') }, { protocol: 'http' })
  await waitFor('the first republish', () => out[0])
  assert.equal(out[0]?.topic, 'out/1')

  await rules.replace('copy', { sql: 'SELECT payload.v * 10 AS v FROM "in/+"', actions: [{ republish: { topic: 'out/${v}' } }] })
  await hub.ctx.publish({ topic: 'in/a', payload: Buffer.from('{"v":2}') }, { protocol: 'http' })
  await waitFor('the replaced rule', () => out[1])
  assert.equal(out[1]?.topic, 'out/20')

  const disabled = await rules.setEnabled('copy', false)
  assert.equal(disabled.enabled, false)
  assert.equal((await hub.ctx.ruleStore.get('copy'))?.enabled, false)
  await hub.ctx.publish({ topic: 'in/a', payload: Buffer.from('{"v":3}') }, { protocol: 'http' })
  await rules.setEnabled('copy', true)
  await hub.ctx.publish({ topic: 'in/a', payload: Buffer.from('{"v":4}') }, { protocol: 'http' })
  await waitFor('the re-enabled rule', () => out[2])
  assert.deepEqual(out.map((m) => m.topic), ['out/1', 'out/20', 'out/40'])

  assert.equal(await rules.remove('copy'), true)
  assert.equal(await rules.remove('copy'), false)
  assert.equal(rules.get('copy'), undefined)
  assert.equal(await hub.ctx.ruleStore.get('copy'), undefined)
})

test('bad API rules are refused with the same messages as rule files', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const rules = rulesOf(hub)
  await rejectsWith(rules.create({ id: 'x', sql: 'SELECT * FROM "t"', actions: [{ http: { url: 'nope' } }] }), 'HUB_ERR_RULE_INVALID', /^API: rule "x": actions\.0\.http\.url: expected an absolute http/)
  await assert.rejects(rules.create({ id: 'x', sql: 'SELECT *\nFROM "t" WHERE' }), (error: unknown) => {
    assert.ok(isHubError(error, 'HUB_ERR_RULE_INVALID'))
    assert.match(error.message, /^API: rule "x": sql: SQL error at line 2, column 15/)
    assert.deepEqual(error.details, { rule: 'x', line: 2, column: 15 })
    return true
  })
  await rules.create({ id: 'a', sql: 'SELECT * FROM "x/#"', actions: [{ republish: { topic: 'y/1' } }] })
  await rejectsWith(rules.create({ id: 'b', sql: 'SELECT * FROM "y/+"', actions: [{ republish: { topic: 'x/${clientid}' } }] }), 'HUB_ERR_RULE_LOOP', /^rule loop: a -> b -> a$/)
  await rejectsWith(rules.create({ id: 'a', sql: 'SELECT * FROM "z"' }), 'HUB_ERR_RULE_INVALID', /already exists/)
  await rejectsWith(rules.replace('missing', { sql: 'SELECT * FROM "z"' }), 'HUB_ERR_NOT_FOUND', /no rule with id "missing"/)
  await rejectsWith(rules.replace('a', { id: 'other', sql: 'SELECT * FROM "z"' }), 'HUB_ERR_RULE_INVALID', /the id cannot change/)
  assert.deepEqual(rules.list().map((r) => r.id), ['a'])
})

test('file rules are listed with their file and are read-only through the API', async (t) => {
  const file = writeRules(ruleDir(t), 'rules.yaml', '- id: from-file\n  sql: SELECT * FROM "t"\n')
  const hub = await startTestHub({ rules: { files: [file] } })
  t.after(() => hub.close())
  const rules = rulesOf(hub)
  assert.deepEqual(rules.get('from-file'), {
    id: 'from-file',
    source: 'file',
    file,
    enabled: true,
    definition: { id: 'from-file', sql: 'SELECT * FROM "t"', enabled: true, actions: [] },
    metrics: { matched: 0, passed: 0, failed: 0, actionsSucceeded: 0, actionsFailed: 0, retries: 0, latencyMs: 0 },
  })
  await rejectsWith(rules.replace('from-file', { sql: 'SELECT 1 FROM "t"' }), 'HUB_ERR_METHOD_NOT_ALLOWED', /read-only through the API/)
  await rejectsWith(rules.remove('from-file'), 'HUB_ERR_METHOD_NOT_ALLOWED', /edit the file instead/)
  await rejectsWith(rules.setEnabled('from-file', false), 'HUB_ERR_METHOD_NOT_ALLOWED', /read-only/)
  await rejectsWith(rules.create({ id: 'from-file', sql: 'SELECT * FROM "u"' }), 'HUB_ERR_RULE_INVALID', /already exists \(from .*rules\.yaml\)/)
})

test('API rules kept in the store are loaded when the hub starts', async (t) => {
  const stores = await openStores(parseConfig({ storage: { driver: 'memory' } }).storage, silentLogger())
  t.after(() => stores.close())
  const first = await startTestHub({}, { stores })
  await rulesOf(first).create({ id: 'kept', sql: 'SELECT * FROM "keep/#"', actions: [{ republish: { topic: 'kept/out' } }] })
  await rulesOf(first).create({ id: 'off', enabled: false, sql: 'SELECT * FROM "off"' })
  await first.close()

  const second = await startTestHub({}, { stores })
  t.after(() => second.close())
  assert.deepEqual(rulesOf(second).list().map((r) => [r.id, r.enabled]), [['kept', true], ['off', false]])
  const out = collect(t, second, 'kept/out')
  await second.ctx.publish({ topic: 'keep/1', payload: Buffer.from('x') }, { protocol: 'http' })
  await waitFor('the stored rule to run', () => out[0])
})

test('a dry run returns the output, whether it matched and passed, or the error with its position', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const rules = rulesOf(hub)
  const sql = 'SELECT payload.temp AS temp, topic(2) AS room FROM "sensors/+/temp" WHERE payload.temp > 30'
  assert.deepEqual(await rules.test({ sql, message: { topic: 'sensors/kitchen/temp', payload: { temp: 31 } } }), { ok: true, matched: true, passed: true, output: { temp: 31, room: 'kitchen' } })
  assert.deepEqual(await rules.test({ sql, message: { topic: 'sensors/kitchen/temp', payload: '{"temp": 20}' } }), { ok: true, matched: true, passed: false, output: null })
  assert.equal(((await rules.test({ sql, message: { topic: 'other', payload: { temp: 40 } } })) as { matched: boolean }).matched, false)
  assert.deepEqual(await rules.test({ sql: 'SELECT clientid FROM "$events/client_connected"', event: { event: 'client_connected', clientid: 'c9' } }), { ok: true, matched: true, passed: true, output: { clientid: 'c9' } })
  const broken = await rules.test({ sql: 'SELECT payload.temp\nFROM "t" WHERE payload.temp >> 1' })
  assert.deepEqual({ ...broken, error: undefined }, { ok: false, error: undefined, line: 2, column: 30 })
  assert.deepEqual(await rules.test({ sql: 'SELECT 1 / 0 AS x' }), { ok: false, error: 'division by zero' })
  await rejectsWith(rules.test({ message: {} }), 'HUB_ERR_BAD_REQUEST', /rule test: sql:/)
  assert.equal(hub.ctx.stats.messagesIn.rule, 0)
})

test('the service exposes its zod schemas for the OpenAPI document', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  assert.equal(rulesOf(hub).schemas.rule.safeParse({ id: 'x', sql: 'SELECT 1' }).success, true)
  assert.equal(rulesOf(hub).schemas.test.safeParse({ sql: 'SELECT 1' }).success, true)
})
