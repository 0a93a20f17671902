import type { TestContext } from 'node:test'
import type { Hub, HubConfigInput, HubOptions, Message } from '../../../src/index.js'
import { portOf, startTestHub } from '../../helpers/hub.js'

export interface HttpTestHub {
  hub: Hub
  /** `http://127.0.0.1:{port}` of the HTTP bridge. */
  base: string
}

/** A test hub with its HTTP bridge on an OS-chosen port, closed after the test. */
export async function startHttpHub(t: TestContext, overrides: HubConfigInput = {}, options: HubOptions = {}): Promise<HttpTestHub> {
  const hub = await startTestHub(overrides, options)
  t.after(() => hub.close())
  return { hub, base: `http://127.0.0.1:${portOf(hub, 'http')}` }
}

/** POST a JSON body (a string is sent as is, so malformed JSON can be tested). */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

/** The `{ error: { code, message } }` body of an error answer. */
export async function errorOf(response: Response): Promise<{ code: string; message: string; details?: unknown }> {
  const body = (await response.json()) as { error: { code: string; message: string; details?: unknown } }
  return body.error
}

/** Every message the hub routes to `filter`, collected through a kernel subscription. */
export function collectMessages(t: TestContext, hub: Hub, filter = '#'): Message[] {
  const messages: Message[] = []
  const unsubscribe = hub.ctx.subscribe(filter, (message) => void messages.push(message))
  t.after(unsubscribe)
  return messages
}

/** Wait for `condition`, polling on each event-loop turn; fail after a generous safety timeout. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export interface SseEvent {
  event: string
  id?: string
  data: string
}

/** A Server-Sent Events reader over fetch: comments and events in arrival order. */
export interface SseReader {
  response: Response
  /** The next comment (`: ...`) or event, skipping nothing. */
  next(): Promise<{ comment: string } | SseEvent>
  /** The next event, skipping comments (keep-alives). */
  nextEvent(): Promise<SseEvent>
  close(): void
}

export async function openSse(t: TestContext, url: string, init: RequestInit = {}): Promise<SseReader> {
  const controller = new AbortController()
  const response = await fetch(url, { ...init, signal: controller.signal })
  const close = () => controller.abort()
  t.after(close)
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''

  const next = async (): Promise<{ comment: string } | SseEvent> => {
    for (;;) {
      const end = buffer.indexOf('\n\n')
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (block.startsWith(':')) return { comment: block.slice(1).trim() }
        const event: SseEvent = { event: 'message', data: '' }
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':')
          const field = line.slice(0, colon)
          const value = line.slice(colon + 1).replace(/^ /, '')
          if (field === 'event') event.event = value
          else if (field === 'id') event.id = value
          else if (field === 'data') event.data += value
        }
        return event
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('the stream ended')
      buffer += decoder.decode(value, { stream: true })
    }
  }
  return {
    response,
    next,
    async nextEvent() {
      for (;;) {
        const item = await next()
        if (!('comment' in item)) return item
      }
    },
    close,
  }
}
