import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer } from 'node:tls'
import { createWebSocketStream, WebSocketServer } from 'ws'
import type { HubConfig } from '../config/schema.js'
import type { ListenerInfo } from '../hub-context.js'

/** The TCP socket under a transport; its address is read only when asked for (Node caches it per socket). */
export interface Peer {
  readonly remoteAddress?: string | undefined
}

/** Called for every accepted transport: a TCP/TLS socket, or a WebSocket wrapped as a stream. */
export type AcceptTransport = (stream: Duplex, peer: Peer) => void

/** One open listener and how to close it. */
export interface OpenListener {
  info: ListenerInfo
  close(): Promise<void>
}

type MqttConfig = HubConfig['mqtt']
interface TlsFiles {
  cert: string
  key: string
  ca?: string
}

function readTls(files: TlsFiles, configDir: string): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const read = (file: string): Buffer => readFileSync(resolve(configDir, file))
  return { cert: read(files.cert), key: read(files.key), ...(files.ca === undefined ? {} : { ca: read(files.ca) }) }
}

function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      done((server.address() as AddressInfo).port)
    })
  })
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((done) => server.close(() => done()))
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

async function openStream(name: 'mqtt' | 'mqtts', server: NetServer, port: number, host: string, accept: AcceptTransport): Promise<OpenListener> {
  // A TLS server's 'connection' is the raw TCP socket; the decrypted stream comes with 'secureConnection'.
  server.on(name === 'mqtts' ? 'secureConnection' : 'connection', (socket: Socket) => {
    socket.setNoDelay(true)
    accept(socket, socket)
  })
  const bound = await listen(server, port, host)
  return { info: { name, url: `${name}://${urlHost(host)}:${bound}`, host, port: bound }, close: () => closeServer(server) }
}

async function openWebSocket(name: 'ws' | 'wss', server: HttpServer, port: number, host: string, path: string, accept: AcceptTransport): Promise<OpenListener> {
  const wss = new WebSocketServer({
    server,
    path,
    perMessageDeflate: false,
    // MQTT over WebSocket uses the subprotocol 'mqtt' (MQTT 5.0 §6); 3.1 clients say 'mqttv3.1'
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  })
  wss.on('connection', (ws, request) => {
    const stream = createWebSocketStream(ws)
    // The stream alone ends only its readable side when the peer closes; the connection must go too,
    // once the packets still buffered (a DISCONNECT just before the close) have been read.
    stream.once('end', () => stream.destroy())
    accept(stream, request.socket)
  })
  const bound = await listen(server, port, host)
  return {
    info: { name, url: `${name}://${urlHost(host)}:${bound}${path}`, host, port: bound },
    close: async () => {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((done) => wss.close(() => done()))
      await closeServer(server)
    },
  }
}

/** Open every configured MQTT listener: TCP, TLS, WebSocket and secure WebSocket. */
export async function openListeners(config: MqttConfig, defaultHost: string, configDir: string, accept: AcceptTransport): Promise<OpenListener[]> {
  const opened: OpenListener[] = []
  try {
    if (config.tcp.enabled) {
      opened.push(await openStream('mqtt', createNetServer({ noDelay: true }), config.tcp.port, config.tcp.host ?? defaultHost, accept))
    }
    if (config.tls?.enabled === true) {
      const server = createTlsServer(readTls(config.tls, configDir))
      opened.push(await openStream('mqtts', server, config.tls.port, config.tls.host ?? defaultHost, accept))
    }
    if (config.ws.enabled) {
      opened.push(await openWebSocket('ws', createHttpServer(), config.ws.port, config.ws.host ?? defaultHost, config.ws.path, accept))
    }
    if (config.wss?.enabled === true) {
      const server = createHttpsServer(readTls(config.wss, configDir))
      opened.push(await openWebSocket('wss', server, config.wss.port, config.wss.host ?? defaultHost, config.wss.path, accept))
    }
  } catch (error) {
    await Promise.all(opened.map((l) => l.close()))
    throw error
  }
  return opened
}
