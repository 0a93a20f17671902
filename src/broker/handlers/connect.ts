import { isUtf8 } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import type { IConnackPacket, IConnectPacket } from 'mqtt-packet'
import type { AuthFailure } from '../../hooks.js'
import { checkTopicName } from '../../topic/validate.js'
import type { Connection } from '../connection.js'
import { protocolViolation, violationCode } from '../frame-reader.js'
import type { MqttCore } from '../mqtt-core.js'
import { RC, toConnackReturnCode } from '../reason-codes.js'
import { readWill } from '../will.js'

const NEVER_EXPIRES = 0xffffffff
const CONNACK_ACCEPTED = Buffer.from([0x20, 2, 0, 0])
const CONNACK_ACCEPTED_PRESENT = Buffer.from([0x20, 2, 1, 0])

const AUTH_FAILURE_CODES: Record<AuthFailure, number> = {
  'bad-credentials': RC.badUserNameOrPassword,
  'not-authorized': RC.notAuthorized,
  banned: RC.banned,
}

/** Answer CONNECT with a refusal and close (MQTT 5.0 §3.2.2.2; 3.1.1 return codes per §3.2.2.3). */
function refuse(core: MqttCore, conn: Connection, reasonCode: number, reason: string): void {
  const packet: IConnackPacket = conn.v5
    ? { cmd: 'connack', sessionPresent: false, reasonCode, properties: { reasonString: reason } }
    : { cmd: 'connack', sessionPresent: false, returnCode: toConnackReturnCode(reasonCode) }
  conn.writePacket(packet)
  core.deps.log.debug({ clientId: conn.clientId, remoteAddress: conn.remoteAddress, reasonCode, reason }, 'connection refused')
  conn.close(reason)
}

/** A client id for a client that sent none [MQTT-3.1.3-6]. */
function assignClientId(): string {
  return `junction-${randomBytes(9).toString('base64url')}`
}

/**
 * CONNECT (MQTT 5.0 §3.1, 3.1.1 §3.1): validate, authenticate, attach the session, answer CONNACK,
 * then resend what the session still owes the client.
 */
export function handleConnect(core: MqttCore, conn: Connection, packet: IConnectPacket): Promise<void> {
  return connect(core, conn, packet).catch((error: unknown) => {
    if (violationCode(error) !== undefined || conn.connected || conn.closed) throw error
    // A hook or the session store failed: the client is told the server is unavailable for now
    core.deps.log.error({ err: error, clientId: conn.clientId }, 'CONNECT failed inside the hub')
    refuse(core, conn, RC.unspecifiedError, 'internal error')
  })
}

async function connect(core: MqttCore, conn: Connection, packet: IConnectPacket): Promise<void> {
  conn.state = 'connecting'
  const version = packet.protocolVersion ?? 4
  conn.setVersion(version)
  const limits = core.limits
  const props = packet.properties ?? {}
  const v5 = version === 5

  // [MQTT-3.1.2-1] 'MQIsdp' names protocol level 3, 'MQTT' levels 4 and 5
  if ((version === 3) !== (packet.protocolId === 'MQIsdp')) {
    return refuse(core, conn, RC.unsupportedProtocolVersion, `protocol name ${packet.protocolId} does not match level ${version}`)
  }
  if (v5 && (props.receiveMaximum === 0 || props.maximumPacketSize === 0)) {
    // [MQTT-3.1.2-?] Receive Maximum and Maximum Packet Size of 0 are protocol errors (5.0 §3.1.2.11.3/4)
    throw protocolViolation(RC.protocolError, 'Receive Maximum or Maximum Packet Size of 0')
  }
  if (props.authenticationMethod !== undefined) {
    return refuse(core, conn, RC.badAuthenticationMethod, `authentication method ${props.authenticationMethod} is not supported`)
  }
  if (core.connectedCount >= limits.maxConnections || core.stopping) {
    core.deps.stats.limitBreaches++
    return refuse(core, conn, core.stopping ? RC.serverUnavailable : RC.quotaExceeded, core.stopping ? 'server shutting down' : 'too many connections')
  }

  let clientId = packet.clientId
  let assigned = false
  if (clientId === '') {
    // 3.1 requires a client id; 3.1.1 allows an empty one only with Clean Session [MQTT-3.1.3-7, MQTT-3.1.3-8]
    if (version === 3 || (version === 4 && !packet.clean)) {
      return refuse(core, conn, RC.clientIdentifierNotValid, 'an empty client id needs Clean Session')
    }
    clientId = assignClientId()
    assigned = true
  }
  conn.clientId = clientId

  const auth = await core.deps.hooks.authenticate({
    protocol: 'mqtt',
    clientId,
    username: packet.username,
    password: packet.password,
    get remoteAddress() {
      return conn.remoteAddress
    },
  })
  if (conn.closed) return
  if (!auth.ok) return refuse(core, conn, AUTH_FAILURE_CODES[auth.reason], auth.message ?? auth.reason)
  conn.identity = auth.identity
  conn.username = auth.identity.username ?? packet.username

  if (packet.will !== undefined) {
    const will = readWill(packet.will)
    const problem = checkTopicName(will.topic, limits.maxTopicLevels)
    if (problem !== undefined) return refuse(core, conn, RC.topicNameInvalid, `will topic: ${problem}`)
    if (will.properties.payloadFormatIndicator === true && !isUtf8(will.payload)) {
      return refuse(core, conn, RC.payloadFormatInvalid, 'will payload is not UTF-8 although its format indicator says so')
    }
    // The will's topic is authorized now, while the client can still be told (as mosquitto does).
    if (!(await core.deps.hooks.authorizePublish(auth.identity, will.topic))) {
      return refuse(core, conn, RC.notAuthorized, `not authorized to publish the will to ${will.topic}`)
    }
    conn.will = will
  }

  // Keep alive, capped by limits.maxKeepAlive; 5.0 tells the client (Server Keep Alive, §3.2.2.3.14).
  let keepAlive = packet.keepalive ?? 0
  let serverKeepAlive: number | undefined
  if (v5 && limits.maxKeepAlive > 0 && (keepAlive === 0 || keepAlive > limits.maxKeepAlive)) {
    keepAlive = serverKeepAlive = limits.maxKeepAlive
  }
  conn.keepAlive = keepAlive

  // Session Expiry Interval: 5.0 property (default 0); 3.1.1 Clean Session 0 means "until further notice".
  const requestedExpiry = v5 ? (props.sessionExpiryInterval ?? 0) : packet.clean ? 0 : NEVER_EXPIRES
  const expiry = Math.min(requestedExpiry, limits.maxSessionExpiry)
  conn.cleanStart = packet.clean ?? true
  if (v5) {
    // The client's Receive Maximum, but no more than ours per direction (limits.maxInflight)
    conn.sendQuota = Math.min(props.receiveMaximum ?? 65535, limits.maxInflight)
    if (props.maximumPacketSize !== undefined) conn.maxOutgoingPacket = props.maximumPacketSize
    conn.aliasOutMax = props.topicAliasMaximum ?? 0
  } else {
    conn.sendQuota = limits.maxInflight
  }

  const sessionPresent = await core.attachSession(conn, clientId, conn.cleanStart, expiry, version)
  if (conn.closed) return
  conn.state = 'connected'
  core.connectedCount++
  core.deps.stats.connections++
  core.deps.stats.connectionsTotal++

  if (v5) {
    const properties: NonNullable<IConnackPacket['properties']> = {
      receiveMaximum: limits.maxInflight,
      maximumPacketSize: limits.maxPacketSize,
      topicAliasMaximum: limits.topicAliasMaximum,
    }
    if (assigned) properties.assignedClientIdentifier = clientId // [MQTT-3.2.2-16]
    if (serverKeepAlive !== undefined) properties.serverKeepAlive = serverKeepAlive // [MQTT-3.2.2-21]
    if (expiry !== requestedExpiry) properties.sessionExpiryInterval = expiry
    conn.writePacket({ cmd: 'connack', sessionPresent, reasonCode: RC.success, properties })
  } else {
    // 3.1.1 CONNACK: 4 bytes written directly; [MQTT-3.2.2-1] Session Present is 0 with Clean Session
    conn.write(sessionPresent ? CONNACK_ACCEPTED_PRESENT : CONNACK_ACCEPTED)
  }
  core.deps.events.emit('client_connected', {
    clientId,
    username: conn.username,
    protocol: 'mqtt',
    protocolVersion: version,
    get remoteAddress() {
      return conn.remoteAddress
    },
    keepAlive,
    cleanStart: conn.cleanStart,
  })
  conn.session?.resume(conn)
}
