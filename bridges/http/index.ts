/**
 * The HTTP bridge (DESIGN.md §5): the REST API of app.ts served on `http.port` (default 8080,
 * JUNCTION_HTTP_PORT). A plug-in that talks only to the kernel API.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HubError } from '../../src/errors.js'
import type { Bridge, HubContext, ListenerInfo } from '../../src/hub-context.js'
import { createHttpApp, type HttpApp } from './app.js'
import { httpConfigSchema, type HttpConfig } from './schema.js'

export { createHttpApp } from './app.js'

/** How long requests still running at stop may take before their connections are cut. */
const STOP_GRACE_MS = 2000

/** The HTTP bridge; `host` is the hub-wide bind address, used unless `http.host` names another. */
export function createHttpBridge(options: { host: string }): Bridge<HttpConfig> {
  let server: Server | undefined
  let httpApp: HttpApp | undefined
  let bound: ListenerInfo | undefined

  return {
    name: 'http',
    configSchema: httpConfigSchema,

    async start(ctx: HubContext, config: HttpConfig) {
      httpApp = createHttpApp(ctx, config)
      server = createServer(httpApp.app)
      const host = config.host ?? options.host
      try {
        await listen(server, config.port, host)
      } catch (error) {
        httpApp.close()
        server = undefined
        httpApp = undefined
        throw error
      }
      const { port } = server.address() as AddressInfo
      bound = { name: 'http', url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, host, port }
      ctx.log.debug({ url: bound.url }, 'HTTP bridge listening')
    },

    async stop() {
      const running = server
      httpApp?.close()
      server = undefined
      httpApp = undefined
      bound = undefined
      if (running === undefined) return
      await new Promise<void>((resolve) => {
        running.close(() => resolve())
        running.closeIdleConnections()
        // Requests still in progress get a moment to finish; then their connections are cut.
        setTimeout(() => running.closeAllConnections(), STOP_GRACE_MS).unref()
      })
    },

    listeners(): ListenerInfo[] {
      return bound === undefined ? [] : [bound]
    },
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(new HubError('HUB_ERR_CONFIG_INVALID', `http: cannot listen on ${host}:${port} (${error.code ?? error.message})`, { cause: error }))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
