import type { IUnsubscribePacket } from 'mqtt-packet'
import type { Connection } from '../connection.js'
import type { MqttCore } from '../mqtt-core.js'
import { RC } from '../reason-codes.js'
import type { Session } from '../session.js'

/** UNSUBSCRIBE (MQTT 5.0 §3.10): one reason code per filter in the UNSUBACK [MQTT-3.11.3-1]. */
export async function handleUnsubscribe(core: MqttCore, conn: Connection, packet: IUnsubscribePacket): Promise<void> {
  const session = conn.session as Session
  const granted: number[] = []
  for (const filter of packet.unsubscriptions) {
    const removed = core.broker.subscriptions.remove(filter, session)
    session.subscriptions?.delete(filter)
    granted.push(removed ? RC.success : RC.noSubscriptionExisted)
    if (removed) core.deps.events.emit('session_unsubscribed', { clientId: session.id, username: conn.username, filter })
  }
  if (session.stored) await core.deps.sessions.save(session.record())
  if (conn.state === 'closed') return
  // 3.1.1 UNSUBACK has no payload
  conn.writePacket(conn.v5 ? { cmd: 'unsuback', messageId: packet.messageId as number, granted } : { cmd: 'unsuback', messageId: packet.messageId as number, granted: [] })
}
