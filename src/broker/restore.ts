import type { MqttCore } from './mqtt-core.js'
import { Session } from './session.js'

/**
 * On start, bring every stored session back (hub restart): its subscriptions rejoin the index so that
 * messages keep arriving in its offline queue, its in-flight and queued messages wait for the client,
 * QoS 2 packet ids awaiting PUBREL stay known, and a pending delayed will is scheduled again.
 */
export async function restoreSessions(core: MqttCore): Promise<number> {
  const store = core.deps.sessions
  const records = await store.list()
  const now = Date.now()
  for (const record of records) {
    const session = new Session(record.clientId, core, record.expiryInterval, record.protocolVersion)
    session.stored = true
    // A session that was connected when the hub stopped has been offline since then.
    session.disconnectedAt = record.disconnectedAt ?? now
    for (const s of record.subscriptions) {
      const { subscription } = core.broker.subscriptions.add(s.filter, {
        subscriber: session,
        qos: s.qos,
        noLocal: s.noLocal ?? false,
        retainAsPublished: s.retainAsPublished ?? false,
        retainHandling: s.retainHandling ?? 0,
        subscriptionId: s.subscriptionId,
      })
      ;(session.subscriptions ??= new Map()).set(s.filter, subscription)
    }
    session.restoreOutgoing(await store.outgoing(record.clientId))
    const incoming = await store.incoming(record.clientId)
    if (incoming.length > 0) session.incoming = new Set(incoming)
    if (record.will !== undefined) core.wills.schedule(record.clientId, record.will.message, record.will.publishAt)
    core.sessions.set(record.clientId, session)
    core.offline.add(session)
  }
  if (records.length > 0) core.deps.log.info({ sessions: records.length }, 'restored persistent sessions')
  return records.length
}
