import type { OutgoingEntry, OutgoingInput, SessionRecord, SessionStore } from '../session-store.js'

interface SessionState {
  outgoing: Map<number, OutgoingEntry>
  incoming: Set<number>
}

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

  async enqueue(clientId: string, input: OutgoingInput): Promise<OutgoingEntry> {
    const entry: OutgoingEntry = { ...input, seq: ++this.seq }
    this.stateOf(clientId).outgoing.set(entry.seq, entry)
    return { ...entry }
  }

  async markSent(clientId: string, seq: number, packetId: number): Promise<void> {
    const entry = this.state.get(clientId)?.outgoing.get(seq)
    if (entry === undefined) return
    entry.state = 'sent'
    entry.packetId = packetId
  }

  async markReleased(clientId: string, packetId: number): Promise<void> {
    const entry = this.findByPacketId(clientId, packetId)
    if (entry !== undefined) entry.state = 'released'
  }

  async acknowledge(clientId: string, packetId: number): Promise<void> {
    const entry = this.findByPacketId(clientId, packetId)
    if (entry !== undefined) this.state.get(clientId)?.outgoing.delete(entry.seq)
  }

  async removeOutgoing(clientId: string, seq: number): Promise<void> {
    this.state.get(clientId)?.outgoing.delete(seq)
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
      s = { outgoing: new Map(), incoming: new Set() }
      this.state.set(clientId, s)
    }
    return s
  }

  private findByPacketId(clientId: string, packetId: number): OutgoingEntry | undefined {
    for (const e of this.state.get(clientId)?.outgoing.values() ?? []) {
      if (e.packetId === packetId && e.state !== 'queued') return e
    }
    return undefined
  }
}

function structuredCloneSession(s: SessionRecord): SessionRecord {
  return { ...s, subscriptions: s.subscriptions.map((x) => ({ ...x })) }
}
