import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { RuleStore, StoredRule } from '../../src/store/rule-store.js'

/** Builds a fresh, empty store and registers its cleanup with `t.after`. */
export type MakeRuleStore = (t: TestContext) => Promise<RuleStore>

function rule(id: string, enabled = true): StoredRule {
  return { id, enabled, updatedAt: 1_700_000_000_000, definition: { id, sql: 'SELECT * FROM "a/#"', actions: [{ republish: { topic: 'b', qos: 1 } }], nested: { n: 1.5, ok: true, none: null } } }
}

/** The behaviour every RuleStore implementation must have. */
export function runRuleStoreContract(makeStore: MakeRuleStore): void {
  test('a stored rule comes back with its definition, flag and time', async (t) => {
    const store = await makeStore(t)
    const r = rule('r1', false)
    await store.put(r)
    assert.deepEqual(await store.get('r1'), r)
    assert.equal(await store.get('unknown'), undefined)
  })

  test('put replaces a rule with the same id', async (t) => {
    const store = await makeStore(t)
    await store.put(rule('r1'))
    const next = { ...rule('r1', false), updatedAt: 1_800_000_000_000, definition: { id: 'r1', sql: 'SELECT 1' } }
    await store.put(next)
    assert.deepEqual(await store.get('r1'), next)
    assert.equal((await store.list()).length, 1)
  })

  test('list returns every rule', async (t) => {
    const store = await makeStore(t)
    for (const id of ['b', 'a', 'c']) await store.put(rule(id))
    assert.deepEqual((await store.list()).map((r) => r.id).sort(), ['a', 'b', 'c'])
  })

  test('delete says whether the rule existed', async (t) => {
    const store = await makeStore(t)
    await store.put(rule('r1'))
    assert.equal(await store.delete('r1'), true)
    assert.equal(await store.delete('r1'), false)
    assert.deepEqual(await store.list(), [])
  })
}
