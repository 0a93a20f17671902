/**
 * Block1 reassembly (RFC 7959 §2.5) keyed by peer and request URI, not by token: libcoap's client
 * sends each block with a new token (RFC 7959 §2.4 allows it), so a token-keyed cache (the `coap`
 * package's) never completes its uploads.
 */
import { blockSizeOf, type BlockOption } from './options.js'

export type Block1Outcome =
  /** Not the last block: answer 2.31 Continue with this Block1 value. */
  | { kind: 'continue'; block: BlockOption }
  /** The last block arrived: the whole body, and the Block1 value for the final response. */
  | { kind: 'complete'; payload: Buffer; block: BlockOption }
  | { kind: 'error'; code: '4.08' | '4.13'; message: string }

interface Transfer {
  chunks: Buffer[]
  received: number
  szx: number
  timer: NodeJS.Timeout
}

export interface Block1Limits {
  maxPayloadSize: number
  maxTransfers: number
  /** Bytes buffered by all open transfers together; the oldest transfer is dropped beyond it. */
  maxBufferedBytes: number
  /** Seconds between blocks before a transfer is dropped. */
  timeout: number
}

export class Block1Assembler {
  private readonly transfers = new Map<string, Transfer>()
  private buffered = 0

  constructor(private readonly limits: Block1Limits) {}

  /**
   * Take one block of the upload identified by `key` (peer, method and URI). `size1` is the total
   * size the client announced, if any (RFC 7959 §4).
   */
  accept(key: string, block: BlockOption, payload: Buffer, size1: number | undefined): Block1Outcome {
    const size = blockSizeOf(block.szx)
    if (size1 !== undefined && size1 > this.limits.maxPayloadSize) return this.fail(key, '4.13', `body of ${size1} bytes exceeds the limit of ${this.limits.maxPayloadSize}`)
    // RFC 7959 §2.3: every block but the last carries exactly the block size
    if (block.more && payload.length !== size) return this.fail(key, '4.08', `block ${block.num} has ${payload.length} bytes, expected ${size}`)
    let transfer = this.transfers.get(key)
    if (block.num === 0) {
      this.drop(key)
      transfer = undefined
    }
    const offset = block.num * size
    if (transfer === undefined) {
      if (block.num !== 0) return { kind: 'error', code: '4.08', message: `block ${block.num} arrived without the blocks before it` }
      transfer = this.start(key, block.szx)
    } else if (offset < transfer.received) {
      // A retransmitted block whose 2.31 got lost: acknowledge it again
      return { kind: 'continue', block: { num: block.num, more: true, szx: block.szx } }
    } else if (offset !== transfer.received || block.szx !== transfer.szx) {
      return this.fail(key, '4.08', `block ${block.num} does not follow the ${transfer.received} bytes received`)
    }
    if (transfer.received + payload.length > this.limits.maxPayloadSize) {
      return this.fail(key, '4.13', `body exceeds the limit of ${this.limits.maxPayloadSize} bytes`)
    }
    transfer.chunks.push(payload)
    transfer.received += payload.length
    this.buffered += payload.length
    this.evictOldestBeyond(this.limits.maxBufferedBytes, key)
    if (block.more) {
      transfer.timer.refresh()
      return { kind: 'continue', block: { num: block.num, more: true, szx: block.szx } }
    }
    this.drop(key)
    return { kind: 'complete', payload: Buffer.concat(transfer.chunks, transfer.received), block: { num: block.num, more: false, szx: block.szx } }
  }

  /** Forget every transfer (bridge stop). */
  clear(): void {
    for (const key of [...this.transfers.keys()]) this.drop(key)
  }

  /** Drop the oldest transfers (Map keeps insertion order) other than `keep` while over `maxBytes`. */
  private evictOldestBeyond(maxBytes: number, keep: string): void {
    for (const oldest of this.transfers.keys()) {
      if (this.buffered <= maxBytes) return
      if (oldest !== keep) this.drop(oldest)
    }
  }

  private start(key: string, szx: number): Transfer {
    // Bounded: the oldest transfer goes when too many are open (Map keeps insertion order)
    while (this.transfers.size >= this.limits.maxTransfers) {
      const oldest = this.transfers.keys().next().value
      if (oldest === undefined) break
      this.drop(oldest)
    }
    const transfer: Transfer = { chunks: [], received: 0, szx, timer: setTimeout(() => this.drop(key), this.limits.timeout * 1000).unref() }
    this.transfers.set(key, transfer)
    return transfer
  }

  private fail(key: string, code: '4.08' | '4.13', message: string): Block1Outcome {
    this.drop(key)
    return { kind: 'error', code, message }
  }

  private drop(key: string): void {
    const transfer = this.transfers.get(key)
    if (transfer === undefined) return
    clearTimeout(transfer.timer)
    this.buffered -= transfer.received
    this.transfers.delete(key)
  }
}
