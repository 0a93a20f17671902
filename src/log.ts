import { pino, type Logger as PinoLogger } from 'pino'

/** Structured JSON logger (pino). Child loggers carry a `component` field. */
export type Logger = PinoLogger
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ sync: false }),
  )
}

/** A logger that drops everything; for tests and library use without logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
