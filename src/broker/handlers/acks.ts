import type { IPubackPacket, IPubcompPacket, IPubrecPacket, IPubrelPacket } from 'mqtt-packet'
import type { Connection } from '../connection.js'
import type { MqttCore } from '../mqtt-core.js'
import { RC } from '../reason-codes.js'

/** PUBACK, PUBREC and PUBCOMP for messages the hub sent (MQTT 5.0 §4.3.2, §4.3.3). */
export function handleAck(_core: MqttCore, conn: Connection, packet: IPubackPacket | IPubrecPacket | IPubcompPacket): void {
  const session = conn.session
  const messageId = packet.messageId as number
  if (session === undefined) return
  if (packet.cmd === 'pubrec') {
    // A PUBREC with a failure reason ends the QoS 2 flow (5.0 §3.5.2.1)
    if ((packet.reasonCode ?? 0) >= 0x80) session.complete(messageId)
    else {
      const released = session.release(messageId)
      if (released === false) conn.writeAck('pubrel', messageId, RC.packetIdentifierNotFound)
      else conn.ackAfter(released, 'pubrel', messageId) // [MQTT-4.3.3-4], once the released state is stored
    }
  } else {
    session.complete(messageId)
  }
  session.pump()
}

/** PUBREL for a QoS 2 message the hub received: forget the packet id, then PUBCOMP [MQTT-4.3.3-11]. */
export function handlePubrel(core: MqttCore, conn: Connection, packet: IPubrelPacket): void {
  const session = conn.session
  const messageId = packet.messageId as number
  if (session?.incoming?.delete(messageId) !== true) {
    conn.writeAck('pubcomp', messageId, RC.packetIdentifierNotFound)
    return
  }
  if (session.incoming.size === 0) session.incoming = undefined
  const removed = session.stored ? core.deps.sessions.removeIncoming(session.id, messageId) : undefined
  conn.ackAfter(removed, 'pubcomp', messageId)
}
