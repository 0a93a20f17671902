import { createServer } from 'node:net'
import { Aedes } from 'aedes'
import { announcePort, exitOnSignals } from './peer-process.js'

/**
 * Aedes, the Node.js broker Junction is measured against: its in-memory defaults behind a plain
 * `net` server, as its README shows. Usage: `aedes-server [port]` (0 or absent: any free port).
 */
const broker = await Aedes.createBroker()
const server = createServer(broker.handle)
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => announcePort(server.address()))
exitOnSignals(() => {
  server.close()
  broker.close()
})
