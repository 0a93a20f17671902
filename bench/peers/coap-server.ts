import { createSocket } from 'node:dgram'
import { createServer } from 'coap'
import { exitOnSignals } from './peer-process.js'

/**
 * The CoAP baseline: a bare node-coap server that answers every request 2.04 Changed without
 * publishing, as Junction answers `POST /ps/{topic}`. Usage: `coap-server [port]` (absent: a free one).
 */
async function freeUdpPort(): Promise<number> {
  const probe = createSocket('udp4')
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise<void>((resolve) => probe.close(resolve))
  return port
}

const port = Number(process.argv[2] ?? 0) || (await freeUdpPort())
const server = createServer((_req, res) => {
  res.code = '2.04'
  res.end()
})
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`))
exitOnSignals(() => server.close())
