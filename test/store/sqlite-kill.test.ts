import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openTempSqlite, tempDataDir } from './temp-sqlite.js'

const here = dirname(fileURLToPath(import.meta.url))
const fromSources = import.meta.url.endsWith('.ts')
const script = resolve(here, fromSources ? 'fixtures/write-then-die.ts' : 'fixtures/write-then-die.js')

test('every write acknowledged before a kill -9 is in the file afterwards', async (t) => {
  const dir = tempDataDir(t)
  const child = spawn(process.execPath, [...(fromSources ? ['--import', 'tsx'] : []), script, dir, '4000'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const signal = await new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, sig) => done(sig)))
  assert.equal(signal, 'SIGKILL', err)
  const acknowledged = out.split('\n').filter(Boolean).map(Number)
  assert.ok(acknowledged.length >= 2000, `acknowledged ${acknowledged.length}`)

  const stores = await openTempSqlite(t, dir)
  const stored = new Set((await stores.sessions.outgoing('sub')).map((e) => Number(e.message.payload.toString())))
  const lost = acknowledged.filter((i) => !stored.has(i))
  assert.deepEqual(lost, [], `${lost.length} acknowledged writes lost`)
  assert.ok((await stores.sessions.get('sub'))?.disconnectedAt !== undefined, 'the session cut off by the kill is offline now')
})
