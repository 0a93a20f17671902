/**
 * The broker's coarse clock for per-connection timestamps (keep alive, connect timeout), checked by
 * the one sweep timer.
 */
const EPOCH = Date.now()

/**
 * Time in tenths of a second since the module loaded, rounded up: small integers that V8 stores
 * inline (a Date.now() value would be a heap number on every idle connection).
 */
export function ticks(now = Date.now()): number {
  return Math.ceil((now - EPOCH) / 100)
}

/** Wall-clock milliseconds of a {@link ticks} value. */
export function wallClock(tick: number): number {
  return EPOCH + tick * 100
}
