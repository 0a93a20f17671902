import { createSocket, type Socket } from 'node:dgram'
import { generate, parse } from 'coap-packet'
import { cpuSeconds } from './proc.js'
import type { RequestRateResult } from './http-load.js'

/** CoAP POSTs from a fixed number of concurrent requesters (one UDP socket each) for a bounded time. */
export interface CoapLoadSpec {
  port: number
  /** Uri-Path segments, e.g. ['ps', 'bench', 'coap']. */
  path: string[]
  payload: Buffer
  confirmable: boolean
  concurrency: number
  durationMs: number
}

/** A request with no response after this long counts as an error and frees its requester. */
const RESPONSE_TIMEOUT_MS = 2_000

/**
 * The next message id by local port, for the whole benchmark process. A server deduplicates by peer
 * address, port and message id for EXCHANGE_LIFETIME (247 s, RFC 7252 §4.5), and the OS hands a
 * port to a new socket again soon after the old one closed: a fresh random start on each socket, or
 * on each phase, repeated an id now and then, and the server rightly answered it as a duplicate (the
 * cached reply, with the old token), which the requester counted as an error after waiting 2 s.
 */
const nextMessageIds = new Map<number, number>()

/**
 * Each requester owns a UDP socket (so each has its own message-id space: at these rates no id is
 * reused within the server's deduplication lifetime, RFC 7252 §4.5; see nextMessageIds) and keeps one
 * request outstanding: a CON is answered by a piggybacked ACK with its message id, a NON by a NON
 * response with its token.
 */
export async function measureCoapRequests(serverPid: number, spec: CoapLoadSpec): Promise<RequestRateResult> {
  const sockets: Socket[] = []
  let requests = 0
  let errors = 0
  let stopped = false
  const options = spec.path.map((segment) => ({ name: 'Uri-Path' as const, value: Buffer.from(segment) }))

  const requester = async (index: number, count: boolean) => {
    const socket = sockets[index] as Socket
    const port = socket.address().port
    let messageId = nextMessageIds.get(port) ?? Math.floor(Math.random() * 0xffff)
    let tokenCounter = 0
    const token = Buffer.alloc(4)
    do {
      messageId = (messageId + 1) & 0xffff
      nextMessageIds.set(port, messageId)
      token.writeUInt32BE(tokenCounter++)
      const datagram = generate({ messageId, token, code: '0.02', confirmable: spec.confirmable, options, payload: spec.payload })
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => finish(false), RESPONSE_TIMEOUT_MS)
        const onMessage = (message: Buffer) => {
          let packet
          try {
            packet = parse(message)
          } catch {
            return
          }
          if (!packet.token.equals(token)) return
          finish(packet.code.startsWith('2.'))
        }
        function finish(success: boolean) {
          clearTimeout(timer)
          socket.off('message', onMessage)
          resolve(success)
        }
        socket.on('message', onMessage)
        socket.send(datagram, spec.port, '127.0.0.1')
      })
      if (count) {
        requests++
        if (!ok) errors++
      }
    } while (count && !stopped)
  }

  try {
    for (let i = 0; i < spec.concurrency; i++) {
      const socket = createSocket('udp4')
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
      sockets.push(socket)
    }
    // one request per requester first: warms up both sides
    await Promise.all(sockets.map((_, i) => requester(i, false)))
    const cpuBefore = cpuSeconds(serverPid)
    const started = performance.now()
    const timer = setTimeout(() => (stopped = true), spec.durationMs)
    await Promise.all(sockets.map((_, i) => requester(i, true)))
    clearTimeout(timer)
    const wall = (performance.now() - started) / 1000
    const cpu = cpuSeconds(serverPid) - cpuBefore
    return { requests, errors, perSecond: requests / wall, perCpuSecond: cpu > 0 ? requests / cpu : 0 }
  } finally {
    stopped = true
    for (const socket of sockets) socket.close()
  }
}
