import { repoFile } from '../helpers/paths.js'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { runCli } from '../helpers/spawn-hub.js'
import { ruleDir, writeRules } from './helpers.js'

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runCli(args)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

const example = repoFile('config/rules.example.yaml')

test('junction rules test prints each rule of a file against a sample message', async () => {
  const { code, stdout } = await cli(['rules', 'test', example, '--message', '{"topic":"sensors/kitchen/temp","payload":{"temp":31},"clientid":"dev1","timestamp":5}'])
  assert.equal(code, 0)
  const lines = stdout.trim().split('\n')
  assert.equal(lines[0], 'overheat: passed {"temp":31,"room":"kitchen","clientid":"dev1","timestamp":5}')
  assert.equal(lines[1], 'fahrenheit-to-celsius: not matched (the sample does not come from its FROM sources)')
  assert.match(lines[3] ?? '', /^heartbeat: passed \{"msg":"ping","at":"/)
  assert.equal(lines.length, 5)
})

test('junction rules test reports a WHERE that does not pass', async () => {
  const { code, stdout } = await cli(['rules', 'test', example, '--message', '{"topic":"sensors/kitchen/temp","payload":{"temp":20}}'])
  assert.equal(code, 0)
  assert.match(stdout, /^overheat: not passed \(WHERE is false for the sample\)$/m)
})

test('junction rules test exits 1 with the line and column of an SQL error', async (t) => {
  const file = writeRules(ruleDir(t), 'bad.yaml', '- id: ok\n  sql: SELECT 1 FROM "a"\n- id: broken\n  sql: |\n    SELECT payload.x\n    FROM "a" WHERE\n')
  const { code, stdout } = await cli(['rules', 'test', file, '--message', '{"topic":"a"}'])
  assert.equal(code, 1)
  assert.match(stdout, /^ok: passed \{"1":1\}$/m)
  assert.match(stdout, /^broken: error: SQL error at line 2, column 15: expected an expression but found the end of the SQL$/m)
})

test('junction rules test exits 1 naming the file, rule and key of an invalid file', async (t) => {
  const file = writeRules(ruleDir(t), 'bad.yaml', '- id: hook\n  sql: SELECT * FROM "a"\n  actions: [{ http: { url: "nope" } }]\n')
  const { code, stderr } = await cli(['rules', 'test', file, '--message', '{}'])
  assert.equal(code, 1)
  assert.match(stderr, /bad\.yaml: rule "hook": actions\.0\.http\.url: expected an absolute http or https URL/)
})

test('junction rules test exits 1 on a rule loop and on a message that is not JSON', async (t) => {
  const file = writeRules(ruleDir(t), 'loop.yaml', '- id: echo\n  sql: SELECT * FROM "a/#"\n  actions: [{ republish: { topic: "a/${clientid}" } }]\n')
  const loop = await cli(['rules', 'test', file, '--message', '{}'])
  assert.equal(loop.code, 1)
  assert.match(loop.stderr, /rule loop: echo -> echo/)
  const bad = await cli(['rules', 'test', file, '--message', '{nope'])
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /--message: not JSON/)
})

test('junction check-config also checks the rule files the config names', async (t) => {
  const dir = ruleDir(t)
  const config = writeRules(dir, 'junction.yaml', 'rules:\n  files: [a.yaml, b.yaml]\n')
  writeRules(dir, 'a.yaml', '- id: to-b\n  sql: SELECT * FROM "a/#"\n  actions: [{ republish: { topic: "b/1" } }]\n')
  writeRules(dir, 'b.yaml', '- id: fine\n  sql: SELECT * FROM "c/#"\n')
  const ok = await cli(['check-config', config])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(ok.stdout, `${config}: ok (2 rules)\n`)

  writeRules(dir, 'b.yaml', '- id: to-a\n  sql: SELECT * FROM "b/+"\n  actions: [{ republish: { topic: "a/${clientid}" } }]\n')
  const loop = await cli(['check-config', config])
  assert.equal(loop.code, 1)
  assert.match(loop.stderr, /rule loop: to-a -> to-b -> to-a/)

  writeRules(dir, 'b.yaml', '- id: to-b\n  sql: SELECT * FROM "z"\n')
  const duplicate = await cli(['check-config', config])
  assert.equal(duplicate.code, 1)
  assert.match(duplicate.stderr, /b\.yaml: rule "to-b": id: the id is already used by a rule from .*a\.yaml/)

  writeRules(dir, 'b.yaml', '- id: bad-sql\n  sql: SELECT FROM "z"\n')
  const sql = await cli(['check-config', config])
  assert.equal(sql.code, 1)
  assert.match(sql.stderr, /b\.yaml: rule "bad-sql": sql: SQL error at line 1, column 8/)
})

test('junction rules test runs event rules against a sample event', async () => {
  const { code, stdout } = await cli(['rules', 'test', example, '--event', '{"event":"client_connected","clientid":"dev1","peername":"127.0.0.1:5000","proto_ver":5}'])
  assert.equal(code, 0)
  assert.match(stdout, /^presence: passed \{"clientid":"dev1","username":null,"proto_ver":5,"peername":"127.0.0.1:5000"\}$/m)
  assert.match(stdout, /^overheat: not matched/m)
})
