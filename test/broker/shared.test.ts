import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startTestHub } from '../helpers/hub.js'
import { collect, connectClient, describeVariant, VARIANTS } from './support.js'

for (const variant of VARIANTS) {
  test(`${describeVariant(variant)}: a $share group gets each message once, spread over its members (5.0 §4.8.2)`, async (t) => {
    const hub = await startTestHub()
    t.after(() => hub.close())
    const a = await connectClient(t, hub, variant)
    const b = await connectClient(t, hub, variant)
    const plain = await connectClient(t, hub, variant)
    await a.subscribeAsync('$share/workers/jobs/+', { qos: 1 })
    await b.subscribeAsync('$share/workers/jobs/+', { qos: 1 })
    await plain.subscribeAsync('jobs/+', { qos: 1 })
    const pub = await connectClient(t, hub, variant)
    const count = 10
    const seen: string[] = []
    const onMessage = (_topic: string, payload: Buffer): void => {
      seen.push(payload.toString())
    }
    a.on('message', onMessage)
    b.on('message', onMessage)
    const all = collect(plain, count)
    for (let i = 0; i < count; i++) await pub.publishAsync(`jobs/${i}`, String(i), { qos: 1 })
    await all // the ordinary subscriber got every message, so the group's copies were routed too
    const deadline = Date.now() + 5000
    while (seen.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.deepEqual(seen.map(Number).sort((x, y) => x - y), [...Array(count).keys()])
    const list = hub.ctx.inspect.subscriptions().filter((s) => s.shareGroup === 'workers')
    assert.equal(list.length, 2)
  })
}

test('a member leaving a share group leaves the others receiving everything', async (t) => {
  const hub = await startTestHub()
  t.after(() => hub.close())
  const variant = { transport: 'tcp', protocolVersion: 5 } as const
  const a = await connectClient(t, hub, variant)
  const b = await connectClient(t, hub, variant)
  await a.subscribeAsync('$share/g/s/#')
  await b.subscribeAsync('$share/g/s/#')
  await b.unsubscribeAsync('$share/g/s/#')
  const received = collect(a, 4)
  const pub = await connectClient(t, hub, variant)
  for (let i = 0; i < 4; i++) await pub.publishAsync(`s/${i}`, 'x')
  assert.equal((await received).length, 4)
})
