import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { Hub } from '../../src/index.js'
import type { Message } from '../../src/message.js'

/** A fresh folder for rule files, removed after the test. */
export function ruleDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-rules-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Write a rule file and return its absolute path. */
export function writeRules(dir: string, name: string, yaml: string): string {
  const file = join(dir, name)
  writeFileSync(file, yaml)
  return file
}

/** Poll until `check` returns a value other than undefined; fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Every message the hub routes to `filter`, collected through the kernel. */
export function collect(t: TestContext, hub: Hub, filter: string): Message[] {
  const messages: Message[] = []
  const unsubscribe = hub.ctx.subscribe(filter, (m) => {
    messages.push(m)
  })
  t.after(unsubscribe)
  return messages
}

export interface WebhookCall {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** The body as received, for binary bodies. */
  bytes: Buffer
}

/** A local webhook receiver on 127.0.0.1:0 that answers `status` (200 by default). */
export async function startWebhook(t: TestContext, status = 200): Promise<{ url: string; calls: WebhookCall[] }> {
  const calls: WebhookCall[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const bytes = Buffer.concat(chunks)
      calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: bytes.toString('utf8'), bytes })
      res.statusCode = status
      res.end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // fetch keeps connections alive; close them so the server (and the test process) can end
        server.closeAllConnections()
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls }
}

/** A loopback port nothing listens on (bound, then released), for a webhook that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
