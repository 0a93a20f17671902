import type { IDisconnectPacket } from 'mqtt-packet'
import type { Connection } from '../connection.js'
import { protocolViolation } from '../frame-reader.js'
import type { MqttCore } from '../mqtt-core.js'
import { RC } from '../reason-codes.js'

/** DISCONNECT from the client (MQTT 5.0 §3.14). */
export function handleDisconnect(_core: MqttCore, conn: Connection, packet: IDisconnectPacket): void {
  const session = conn.session
  const expiry = packet.properties?.sessionExpiryInterval
  if (expiry !== undefined && session !== undefined) {
    // [MQTT-3.14.2-2] a session that was to end with the connection cannot be extended here
    if (session.expiryInterval === 0 && expiry !== 0) throw protocolViolation(RC.protocolError, 'Session Expiry Interval set on DISCONNECT after 0 in CONNECT')
    session.expiryInterval = expiry
  }
  // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; 0x04 asks for it to be published
  if ((packet.reasonCode ?? 0) !== RC.disconnectWithWill) conn.will = undefined
  conn.close('client disconnected')
}
