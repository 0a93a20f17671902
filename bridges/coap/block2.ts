/**
 * Block2 (RFC 7959 §2.4): responses and notifications larger than one block go out in blocks. The
 * whole representation is kept per peer and URI for a while, so that the client's follow-up GETs
 * for blocks 1..n (with the same or, as libcoap does, a new token) see the same representation; the
 * ETag lets the client check that (RFC 7959 §2.4, RFC 7641 §3.4 for notifications).
 */
import { createHash } from 'node:crypto'
import { blockSizeOf, encodeBlock, encodeUint, OPTION, szxOf, type BlockOption, type RawOption } from './options.js'

export interface Representation {
  payload: Buffer
  /** Options every block carries (Content-Format, Max-Age, ...). */
  options: RawOption[]
  etag: Buffer
}

interface CachedRepresentation extends Representation {
  expiresAt: number
}

/** Bounded by entries and by payload bytes; the oldest representation goes first. */
export class Block2Cache {
  private readonly entries = new Map<string, CachedRepresentation>()
  private bytes = 0

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  store(key: string, representation: Representation): void {
    this.remove(key)
    this.entries.set(key, { ...representation, expiresAt: Date.now() + this.ttlMs })
    this.bytes += representation.payload.length
    while (this.entries.size > this.maxEntries || (this.bytes > this.maxBytes && this.entries.size > 1)) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.remove(oldest)
    }
  }

  get(key: string): Representation | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= Date.now()) {
      this.remove(key)
      return undefined
    }
    return entry
  }

  clear(): void {
    this.entries.clear()
    this.bytes = 0
  }

  private remove(key: string): void {
    const entry = this.entries.get(key)
    if (entry === undefined) return
    this.bytes -= entry.payload.length
    this.entries.delete(key)
  }
}

/** A strong ETag for a representation (RFC 7252 §5.10.6): 8 bytes of its SHA-1. */
export function etagOf(payload: Buffer): Buffer {
  return createHash('sha1').update(payload).digest().subarray(0, 8)
}

/**
 * One block of `payload`: the block the client asked for (at no more than `maxBlockSize`), or the
 * first block when it asked for none. Undefined when the requested block lies beyond the end.
 */
export function sliceBlock(payload: Buffer, requested: BlockOption | undefined, maxBlockSize: number): { payload: Buffer; block: BlockOption } | undefined {
  const maxSzx = szxOf(maxBlockSize)
  // RFC 7959 §2.4: the server may answer with a smaller block size than asked; the number then scales
  const szx = requested === undefined ? maxSzx : Math.min(requested.szx, maxSzx)
  const num = requested === undefined ? 0 : (requested.num * blockSizeOf(requested.szx)) / blockSizeOf(szx)
  const size = blockSizeOf(szx)
  const start = num * size
  if (start >= payload.length && !(start === 0 && payload.length === 0)) return undefined
  const end = Math.min(start + size, payload.length)
  return { payload: payload.subarray(start, end), block: { num, more: end < payload.length, szx } }
}

/** The options of one block: the representation's own, Block2, ETag and (first block) Size2. */
export function blockOptions(representation: Representation, block: BlockOption): RawOption[] {
  const options: RawOption[] = [...representation.options, { name: OPTION.Block2, value: encodeBlock(block) }, { name: OPTION.ETag, value: representation.etag }]
  if (block.num === 0) options.push({ name: OPTION.Size2, value: encodeUint(representation.payload.length) })
  return options
}
