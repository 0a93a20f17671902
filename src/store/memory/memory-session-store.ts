import type { Enqueued, OutgoingEntry, OutgoingInput, SessionRecord, SessionStore } from '../session-store.js'

interface SessionState {
  outgoing: Map<number, OutgoingEntry>
  /** Packet id -> the entry holding it (sent, released, or queued with an assigned id). */
  byPacketId: Map<number, OutgoingEntry>
  incoming: Set<number>
}

const DONE = Promise.resolve()

/** Sessions in process memory: lost on restart; the default for tests and `storage.driver: memory`. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionRecord>()
  private readonly state = new Map<string, SessionState>()
  private seq = 0

  async get(clientId: string): Promise<SessionRecord | undefined> {
    const s = this.sessions.get(clientId)
    return s === undefined ? undefined : structuredCloneSession(s)
  }

  async save(session: SessionRecord): Promise<void> {
    this.sessions.set(session.clientId, structuredCloneSession(session))
  }

  async delete(clientId: string): Promise<void> {
    this.sessions.delete(clientId)
    this.state.delete(clientId)
  }

  async list(): Promise<SessionRecord[]> {
    return [...this.sessions.values()].map(structuredCloneSession)
  }

  enqueue(clientId: string, input: OutgoingInput): Enqueued {
    const entry: OutgoingEntry = { ...input, seq: ++this.seq }
    const state = this.stateOf(clientId)
    state.outgoing.set(entry.seq, entry)
    if (entry.packetId !== undefined) state.byPacketId.set(entry.packetId, entry)
    return { seq: entry.seq, stored: DONE }
  }

  async markSent(clientId: string, seq: number, packetId: number): Promise<void> {
    const state = this.state.get(clientId)
    const entry = state?.outgoing.get(seq)
    if (state === undefined || entry === undefined) return
    if (entry.packetId !== undefined && state.byPacketId.get(entry.packetId) === entry) state.byPacketId.delete(entry.packetId)
    entry.state = 'sent'
    entry.packetId = packetId
    state.byPacketId.set(packetId, entry)
  }

  async markReleased(clientId: string, packetId: number): Promise<void> {
    const entry = this.state.get(clientId)?.byPacketId.get(packetId)
    if (entry !== undefined) entry.state = 'released'
  }

  async acknowledge(clientId: string, packetId: number): Promise<void> {
    const entry = this.state.get(clientId)?.byPacketId.get(packetId)
    if (entry !== undefined) await this.removeOutgoing(clientId, entry.seq)
  }

  async removeOutgoing(clientId: string, seq: number): Promise<void> {
    const state = this.state.get(clientId)
    const entry = state?.outgoing.get(seq)
    if (state === undefined || entry === undefined) return
    state.outgoing.delete(seq)
    if (entry.packetId !== undefined && state.byPacketId.get(entry.packetId) === entry) state.byPacketId.delete(entry.packetId)
  }

  async outgoing(clientId: string): Promise<OutgoingEntry[]> {
    const entries = this.state.get(clientId)?.outgoing
    return entries === undefined ? [] : [...entries.values()].map((e) => ({ ...e }))
  }

  async queueSize(clientId: string): Promise<{ count: number; bytes: number }> {
    let count = 0
    let bytes = 0
    for (const e of this.state.get(clientId)?.outgoing.values() ?? []) {
      if (e.state !== 'queued') continue
      count++
      bytes += e.message.payload.length
    }
    return { count, bytes }
  }

  async addIncoming(clientId: string, packetId: number): Promise<void> {
    this.stateOf(clientId).incoming.add(packetId)
  }

  async removeIncoming(clientId: string, packetId: number): Promise<void> {
    this.state.get(clientId)?.incoming.delete(packetId)
  }

  async incoming(clientId: string): Promise<number[]> {
    return [...(this.state.get(clientId)?.incoming ?? [])]
  }

  async close(): Promise<void> {}

  private stateOf(clientId: string): SessionState {
    let s = this.state.get(clientId)
    if (s === undefined) {
      s = { outgoing: new Map(), byPacketId: new Map(), incoming: new Set() }
      this.state.set(clientId, s)
    }
    return s
  }
}

function structuredCloneSession(s: SessionRecord): SessionRecord {
  return { ...s, subscriptions: s.subscriptions.map((x) => ({ ...x })) }
}
