import { startJunction, startPeer } from '../lib/brokers.js'
import { measureCoapRequests } from '../lib/coap-load.js'
import { measureHttpRequests } from '../lib/http-load.js'
import type { Metric, Scenario } from '../lib/scenario.js'

const CONCURRENCY = 50
const PAYLOAD = Buffer.alloc(64, 0x61)

const rateMetrics: Metric[] = [
  { key: 'perSecond', label: 'requests / s', digits: 0 },
  { key: 'perCpuSecond', label: 'requests / server CPU-s', digits: 0 },
  { key: 'errors', label: 'errors', digits: 0 },
]

/** Issue 4: JSON publishes over keep-alive HTTP against a bare express handler for the same request. */
export const httpPublishScenario: Scenario = {
  name: 'http-publish',
  title: 'HTTP publish requests',
  issue: 4,
  description: `\`POST /api/v1/publish\` with a JSON body (\`{"topic":"bench/http","payload":"<64 chars>"}\`), ${CONCURRENCY} concurrent keep-alive connections (Node's http.Agent), no subscriber; Junction's HTTP bridge against a bare express 5 app that parses the same request and answers \`{ id, matched }\` (bench/peers/express-server.ts).`,
  subjects: [
    { label: 'junction', start: (ctx) => startJunction(ctx, { http: true }) },
    { label: 'express', start: (ctx) => startPeer('bench/peers/express-server.ts', 'express', 'http', ctx.build) },
  ],
  metrics: rateMetrics,
  comparisons: [{ label: 'Junction / express', metric: 'perSecond', numerator: 'junction', denominator: 'express', atLeast: 0.7 }],
  measure: async (target, ctx) => {
    const r = await measureHttpRequests(target.pid, {
      port: target.ports.http as number,
      path: '/api/v1/publish',
      body: Buffer.from(JSON.stringify({ topic: 'bench/http', payload: PAYLOAD.toString() })),
      contentType: 'application/json',
      concurrency: CONCURRENCY,
      durationMs: ctx.quick ? 1_500 : 3_000,
    })
    return { perSecond: r.perSecond, perCpuSecond: r.perCpuSecond, errors: r.errors }
  },
}

/** Issue 5: CoAP NON and CON publishes against a bare node-coap server answering 2.04. */
export const coapPublishScenario: Scenario = {
  name: 'coap-publish',
  title: 'CoAP publish requests',
  issue: 5,
  description: `\`POST coap://127.0.0.1/ps/bench/coap\` with a 64-byte payload, NON then CON, ${CONCURRENCY} requesters with one request outstanding each (one UDP socket each), no subscriber; Junction's CoAP bridge against a bare node-coap server that answers every request 2.04 without publishing (bench/peers/coap-server.ts).`,
  subjects: [
    { label: 'junction', start: (ctx) => startJunction(ctx, { coap: true }) },
    { label: 'coap', start: (ctx) => startPeer('bench/peers/coap-server.ts', 'coap', 'coap', ctx.build) },
  ],
  metrics: [
    { key: 'nonPerSecond', label: 'NON requests / s', digits: 0 },
    { key: 'conPerSecond', label: 'CON requests / s', digits: 0 },
    { key: 'nonPerCpuSecond', label: 'NON requests / server CPU-s', digits: 0 },
    { key: 'conPerCpuSecond', label: 'CON requests / server CPU-s', digits: 0 },
    { key: 'errors', label: 'errors', digits: 0 },
  ],
  comparisons: [
    { label: 'Junction / coap, NON', metric: 'nonPerSecond', numerator: 'junction', denominator: 'coap', atLeast: 0.7 },
    { label: 'Junction / coap, CON', metric: 'conPerSecond', numerator: 'junction', denominator: 'coap', atLeast: 0.7 },
  ],
  measure: async (target, ctx) => {
    const spec = { port: target.ports.coap as number, path: ['ps', 'bench', 'coap'], payload: PAYLOAD, concurrency: CONCURRENCY, durationMs: ctx.quick ? 1_500 : 3_000 }
    const non = await measureCoapRequests(target.pid, { ...spec, confirmable: false })
    const con = await measureCoapRequests(target.pid, { ...spec, confirmable: true })
    return {
      nonPerSecond: non.perSecond,
      conPerSecond: con.perSecond,
      nonPerCpuSecond: non.perCpuSecond,
      conPerCpuSecond: con.perCpuSecond,
      errors: non.errors + con.errors,
    }
  },
}
