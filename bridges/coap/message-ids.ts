/**
 * Message IDs for the messages this endpoint sends, one counter per peer (RFC 7252 §4.4): the same
 * Message ID must not be used with the same endpoint within EXCHANGE_LIFETIME, and the peer
 * deduplicates by it (§4.5). One counter shared by every peer would wrap within that lifetime as soon
 * as the endpoint as a whole sent more than 65,536 messages in it (about 265 a second), and a peer
 * would then drop a new notification or response as a duplicate of an old one. Per peer, only a
 * peer that itself receives that many messages in the lifetime can see a repeat.
 */
export class MessageIds {
  private readonly counters = new Map<string, { next: number; usedAt: number }>()
  private readonly sweeper: NodeJS.Timeout

  /**
   * @param lifetimeMs how long a used id stays taken (EXCHANGE_LIFETIME); a peer's counter is
   *   forgotten once it has been idle that long, so a fresh random start cannot repeat a live id.
   * @param maxPeers counters kept at most (the least recently used go first), so that datagrams from
   *   many spoofed addresses cannot grow memory without bound.
   */
  constructor(
    private readonly lifetimeMs: number,
    private readonly maxPeers: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), 10_000).unref()
  }

  /** The next Message ID for `peerKey`; a new peer starts at a random value (§4.4). */
  next(peerKey: string): number {
    const now = Date.now()
    let counter = this.counters.get(peerKey)
    if (counter === undefined) {
      counter = { next: Math.floor(Math.random() * 0x10000), usedAt: now }
      while (this.counters.size >= this.maxPeers) {
        const oldest = this.counters.keys().next().value
        if (oldest === undefined) break
        this.counters.delete(oldest)
      }
    } else {
      // re-inserted so that the Map's order stays least recently used first
      this.counters.delete(peerKey)
    }
    const id = counter.next
    counter.next = (id + 1) & 0xffff
    counter.usedAt = now
    this.counters.set(peerKey, counter)
    return id
  }

  close(): void {
    clearInterval(this.sweeper)
    this.counters.clear()
  }

  private sweep(now: number): void {
    for (const [key, counter] of this.counters) {
      if (now - counter.usedAt < this.lifetimeMs) break // least recently used first: the rest are newer
      this.counters.delete(key)
    }
  }
}
