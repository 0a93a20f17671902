import type { AddressInfo } from 'node:net'

/** Tell the benchmark which port a peer bound: one `listening <port>` line on stdout. */
export function announcePort(address: AddressInfo | string | null): void {
  if (address === null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`)
  process.stdout.write(`listening ${address.port}\n`)
}

/** Close on SIGTERM/SIGINT and exit 0, so that a benchmark run ends without leftovers. */
export function exitOnSignals(close: () => void): void {
  const stop = () => {
    close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
