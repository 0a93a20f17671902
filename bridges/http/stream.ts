/**
 * `GET /api/v1/stream?filter=...`: every message matching an MQTT topic filter as Server-Sent Events
 * (WHATWG HTML §9.2), also for topics with no retained message yet (DESIGN.md §9.3).
 */
import type { Request, RequestHandler, Response } from 'express'
import type { HubContext, Message } from '../../src/hub-context.js'
import { streamQuerySchema } from './api-schemas.js'
import { parseWith } from './http-errors.js'
import { assertMaySubscribe, identityOf } from './identity.js'
import { assertTopicFilter, viewMessage } from './mapping.js'
import type { HttpMetrics } from './metrics.js'
import type { HttpConfig } from './schema.js'

/** The open streams, so that stopping the bridge can end them. */
export interface StreamSet {
  handle: RequestHandler
  /** End every open stream (bridge stop). */
  closeAll(): void
}

type StreamOptions = Pick<HttpConfig, 'maxTopicLevels' | 'streamKeepAliveSeconds' | 'streamMaxBufferBytes'>

export function createStreams(ctx: HubContext, config: StreamOptions, metrics: HttpMetrics): StreamSet {
  const open = new Set<() => void>()
  let streamIds = 0

  const handle = async (req: Request, res: Response): Promise<void> => {
    const query = parseWith(streamQuerySchema, req.query)
    assertTopicFilter(query.filter, config.maxTopicLevels)
    await assertMaySubscribe(ctx, identityOf(res), query.filter)

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies such as nginx would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    })
    // A first comment flushes the headers, so the client knows the subscription is in place.
    res.write(': subscribed\n\n')

    let closed = false
    const end = (): void => {
      if (closed) return
      closed = true
      unsubscribe()
      clearInterval(keepAlive)
      open.delete(close)
      metrics.streams.dec()
    }
    const close = (): void => {
      end()
      res.end()
    }

    const deliver = (message: Message): void => {
      if (closed) return
      const chunk = `id: ${message.id}\nevent: message\ndata: ${JSON.stringify(viewMessage(message))}\n\n`
      // A reader that does not keep up is cut off rather than buffered without bound (DESIGN.md §2).
      if (res.writableLength + chunk.length > config.streamMaxBufferBytes) {
        cutOff(message)
        return
      }
      res.write(chunk)
      ctx.stats.messagesOut.http++
      ctx.stats.bytesOut += message.payload.length
    }
    const cutOff = (message: Message): void => {
      ctx.stats.messagesDropped++
      ctx.events.emit('message_dropped', { message, reason: 'HTTP stream reader too slow' })
      metrics.streamCutoffs.inc()
      ctx.log.warn({ filter: query.filter, remoteAddress: req.socket.remoteAddress }, 'HTTP stream cut off: the reader fell behind')
      end()
      // Destroy rather than end: ending would wait for the reader to drain what is already buffered.
      res.destroy()
    }

    const unsubscribe = ctx.subscribe(query.filter, deliver, { owner: `http:stream:${++streamIds}`, deliverRetained: query.retained })
    const keepAlive = setInterval(() => {
      if (res.writableLength === 0) res.write(': keep-alive\n\n')
    }, config.streamKeepAliveSeconds * 1000)
    keepAlive.unref()
    open.add(close)
    metrics.streams.inc()
    res.on('close', end)
  }

  return {
    handle,
    closeAll() {
      for (const close of [...open]) close()
    },
  }
}
