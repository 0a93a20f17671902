import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import type { RetainedStore } from '../../src/store/retained-store.js'
import { fullMessage, plainMessage } from './fixtures.js'

/** Builds a fresh, empty store and registers its cleanup with `t.after`. */
export type MakeRetainedStore = (t: TestContext) => Promise<RetainedStore>

/** The behaviour every RetainedStore implementation must have (aedes-persistence `abstract.js` style). */
export function runRetainedStoreContract(makeStore: MakeRetainedStore): void {
  test('a stored message comes back with every field, Buffers included', async (t) => {
    const store = await makeStore(t)
    const message = fullMessage('a/b')
    await store.set(message)
    assert.deepEqual(await store.get('a/b'), message)
    const plain = plainMessage('a/plain')
    await store.set(plain)
    assert.deepEqual(await store.get('a/plain'), plain)
  })

  test('a second message on a topic replaces the first', async (t) => {
    const store = await makeStore(t)
    await store.set(plainMessage('t', 'one'))
    const second = plainMessage('t', 'two')
    await store.set(second)
    assert.deepEqual(await store.get('t'), second)
    assert.equal(await store.count(), 1)
  })

  test('a message with an empty payload clears the retained message', async (t) => {
    const store = await makeStore(t)
    await store.set(plainMessage('t'))
    await store.set(plainMessage('t', ''))
    assert.equal(await store.get('t'), undefined)
    assert.equal(await store.count(), 0)
  })

  test('delete says whether there was a message to clear', async (t) => {
    const store = await makeStore(t)
    await store.set(plainMessage('t'))
    assert.equal(await store.delete('t'), true)
    assert.equal(await store.delete('t'), false)
    assert.equal(await store.get('t'), undefined)
  })

  test('an unknown topic has no retained message', async (t) => {
    const store = await makeStore(t)
    assert.equal(await store.get('nothing/here'), undefined)
    assert.deepEqual(await store.match('nothing/here'), [])
  })

  test('match finds messages by exact topic and by wildcard filter', async (t) => {
    const store = await makeStore(t)
    for (const topic of ['home/kitchen/temp', 'home/hall/temp', 'home/hall/light', 'office/temp', 'home']) await store.set(plainMessage(topic))
    const topics = async (filter: string) => (await store.match(filter)).map((m) => m.topic).sort()
    assert.deepEqual(await topics('home/hall/temp'), ['home/hall/temp'])
    assert.deepEqual(await topics('home/+/temp'), ['home/hall/temp', 'home/kitchen/temp'])
    assert.deepEqual(await topics('home/#'), ['home', 'home/hall/light', 'home/hall/temp', 'home/kitchen/temp'])
    assert.deepEqual(await topics('+/temp'), ['office/temp'])
    assert.equal((await topics('#')).length, 5)
  })

  test('leading wildcards do not match $-topics [MQTT-4.7.2-1]', async (t) => {
    const store = await makeStore(t)
    await store.set(plainMessage('$SYS/broker/uptime'))
    await store.set(plainMessage('normal'))
    assert.deepEqual((await store.match('#')).map((m) => m.topic), ['normal'])
    assert.deepEqual((await store.match('+/broker/uptime')).map((m) => m.topic), [])
    assert.deepEqual((await store.match('$SYS/#')).map((m) => m.topic), ['$SYS/broker/uptime'])
  })

  test('count follows sets and clears', async (t) => {
    const store = await makeStore(t)
    assert.equal(await store.count(), 0)
    await Promise.all(['a', 'b', 'c'].map((topic) => store.set(plainMessage(topic))))
    assert.equal(await store.count(), 3)
    await store.delete('b')
    assert.equal(await store.count(), 2)
  })
}
