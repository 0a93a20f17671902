import { isHubError } from '../errors.js'
import { createMessage } from '../message.js'
import { matchTopic } from '../topic/match.js'
import type { RuleTestRequest } from './rule-schema.js'
import type { RuleTestResult } from './service.js'
import type { Value } from './sql/ast.js'
import { compileSql, type CompiledQuery } from './sql/compiler.js'
import { MessageRow, RecordRow, type Row } from './sql/row.js'

/**
 * Run SQL against a sample message or event with no side effects: no subscription, no action, no
 * metric. Used by `POST /api/v1/rules/test` and `junction rules test`.
 */
export function dryRun(request: RuleTestRequest): RuleTestResult {
  let query: CompiledQuery
  try {
    query = compileSql(request.sql)
  } catch (error) {
    return failure(error)
  }
  const row = sampleRow(request)
  try {
    const output = query.run(row)
    const binary: string[] = []
    const shown = output === undefined ? null : (showBinary(output, '', binary) as Record<string, unknown>)
    return { ok: true, matched: sampleMatches(query, request), passed: output !== undefined, output: shown, ...(binary.length > 0 ? { binary } : {}) }
  } catch (error) {
    return failure(error)
  }
}

function failure(error: unknown): RuleTestResult {
  const details = isHubError(error) ? (error.details as { line?: number; column?: number } | undefined) : undefined
  return {
    ok: false,
    error: error instanceof Error ? error.message : String(error),
    ...(details?.line === undefined ? {} : { line: details.line }),
    ...(details?.column === undefined ? {} : { column: details.column }),
  }
}

/** Whether a live rule would have received the sample at all. */
function sampleMatches(query: CompiledQuery, request: RuleTestRequest): boolean {
  if (query.filters.length === 0 && query.events.length === 0) return true
  if (request.event !== undefined) return query.events.some((e) => e === request.event?.event)
  const topic = request.message.topic
  return topic !== undefined && query.filters.some((filter) => matchTopic(filter, topic))
}

/**
 * The output as JSON: binary data (Buffers) becomes base64 text, and its path is added to `binary`.
 * The value itself when it holds no binary data.
 */
function showBinary(value: Value, path: string, binary: string[]): Value {
  if (Buffer.isBuffer(value)) {
    binary.push(path)
    return value.toString('base64')
  }
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    const items = value.map((item, i) => showBinary(item, `${path}[${i}]`, binary))
    return items.some((item, i) => item !== value[i]) ? items : value
  }
  const entries = Object.entries(value).map(([key, item]) => [key, showBinary(item, path === '' ? key : `${path}.${key}`, binary)] as const)
  return entries.some(([key, item]) => item !== value[key]) ? Object.fromEntries(entries) : value
}

function samplePayload(sample: RuleTestRequest['message']): Buffer {
  // the schema checked that a base64 payload is base64 text
  if (sample.encoding === 'base64') return Buffer.from(String(sample.payload), 'base64')
  const text = sample.payload === undefined ? '' : typeof sample.payload === 'string' ? sample.payload : JSON.stringify(sample.payload)
  return Buffer.from(text, 'utf8')
}

function sampleRow(request: RuleTestRequest): Row {
  if (request.event !== undefined) return new RecordRow({ timestamp: Date.now(), ...(request.event as Record<string, Value>) })
  const sample = request.message
  const { correlationData, ...properties } = sample.properties ?? {}
  const message = createMessage(
    {
      topic: sample.topic ?? '',
      payload: samplePayload(sample),
      qos: sample.qos ?? 0,
      retain: sample.retain ?? false,
      properties: { ...properties, ...(correlationData === undefined ? {} : { correlationData: Buffer.from(correlationData, 'utf8') }) },
    },
    {
      protocol: sample.protocol ?? 'mqtt',
      ...(sample.clientid === undefined ? {} : { clientId: sample.clientid }),
      ...(sample.username === undefined ? {} : { username: sample.username }),
    },
    sample.timestamp ?? Date.now(),
  )
  return new MessageRow(message)
}
