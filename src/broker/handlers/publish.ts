import { isUtf8 } from 'node:buffer'
import type { Identity } from '../../hooks.js'
import { createMessage } from '../../message.js'
import { checkTopicName } from '../../topic/validate.js'
import type { Connection } from '../connection.js'
import { protocolViolation, type InboundPublish } from '../frame-reader.js'
import { toMessageProperties } from '../message-properties.js'
import type { MqttCore } from '../mqtt-core.js'
import { RC } from '../reason-codes.js'


/** Refuse one PUBLISH without closing: 5.0 answers QoS 1/2 with the reason code; QoS 0 is dropped. */
function refusePublish(core: MqttCore, conn: Connection, packet: InboundPublish, reasonCode: number, why: string): void {
  core.deps.log.debug({ clientId: conn.clientId, topic: packet.topic, reasonCode }, why)
  if (packet.qos === 0) return
  conn.writeAck(packet.qos === 1 ? 'puback' : 'pubrec', packet.messageId as number, reasonCode)
}

/** Inbound topic alias (MQTT 5.0 §3.3.2.3.4): returns the topic the PUBLISH is for. */
function resolveTopicAlias(core: MqttCore, conn: Connection, packet: InboundPublish, alias: number): string {
  // [MQTT-3.3.2-8, MQTT-3.3.2-9] 0 or above our Topic Alias Maximum is invalid
  if (alias === 0 || alias > core.limits.topicAliasMaximum) {
    throw protocolViolation(RC.topicAliasInvalid, `topic alias ${alias} is outside 1..${core.limits.topicAliasMaximum}`)
  }
  if (packet.topic === '') {
    const topic = conn.aliasIn?.get(alias)
    if (topic === undefined) throw protocolViolation(RC.protocolError, `topic alias ${alias} was never set`)
    return topic
  }
  ;(conn.aliasIn ??= new Map()).set(alias, packet.topic)
  return packet.topic
}

/** limits.publishRate: messages per second per client, counted in one-second windows. */
function checkRate(core: MqttCore, conn: Connection): void {
  const now = Date.now()
  if (now - conn.rateWindowStart >= 1000) {
    conn.rateWindowStart = now
    conn.rateCount = 0
  }
  if (++conn.rateCount > core.limits.publishRate) {
    throw protocolViolation(RC.messageRateTooHigh, `more than ${core.limits.publishRate} publishes per second`)
  }
}

/**
 * PUBLISH from a client (MQTT 5.0 §3.3.4): check, authorize, route, then acknowledge once what the
 * acknowledgement promises is stored. QoS 0 with the default hooks runs without a promise.
 */
export function handlePublish(core: MqttCore, conn: Connection, packet: InboundPublish): void | Promise<void> {
  const limits = core.limits
  if (limits.publishRate > 0) checkRate(core, conn)
  const props = packet.properties
  const topic = props?.topicAlias !== undefined && conn.v5 ? resolveTopicAlias(core, conn, packet, props.topicAlias) : packet.topic
  const problem = checkTopicName(topic, limits.maxTopicLevels)
  if (problem !== undefined) throw protocolViolation(RC.topicNameInvalid, problem) // [MQTT-3.3.2-2]
  if (packet.qos > 0) {
    const session = conn.session
    // [MQTT-3.3.4-7] more unacknowledged QoS 1/2 PUBLISHes than our Receive Maximum
    if (conn.pendingAcks + (session?.incoming?.size ?? 0) >= limits.maxInflight) {
      throw protocolViolation(RC.receiveMaximumExceeded, `more than ${limits.maxInflight} QoS 1/2 publishes unacknowledged`)
    }
    // [MQTT-4.3.3-9] a resent QoS 2 PUBLISH whose PUBREL has not come: acknowledge, do not deliver again
    if (packet.qos === 2 && session?.incoming?.has(packet.messageId as number) === true) {
      conn.writeAck('pubrec', packet.messageId as number)
      return
    }
  }
  // 5.0 §3.3.2.3.2: a payload said to be UTF-8 that is not
  if (props?.payloadFormatIndicator === true && !isUtf8(packet.payload)) {
    return refusePublish(core, conn, packet, RC.payloadFormatInvalid, 'payload is not UTF-8 although its format indicator says so')
  }
  const allowed = core.deps.hooks.authorizePublish(conn.identity as Identity, topic)
  if (typeof allowed === 'boolean') return routePublish(core, conn, packet, topic, allowed)
  return allowed.then((ok) => routePublish(core, conn, packet, topic, ok))
}

function routePublish(core: MqttCore, conn: Connection, packet: InboundPublish, topic: string, allowed: boolean): void {
  if (!allowed) {
    core.deps.stats.limitBreaches++
    // 3.1.1 cannot refuse one PUBLISH: close the connection, as the spec allows [MQTT-3.3.5-2]
    if (!conn.v5) throw protocolViolation(RC.notAuthorized, `not authorized to publish to ${topic}`)
    return refusePublish(core, conn, packet, RC.notAuthorized, `not authorized to publish to ${topic}`)
  }
  const message = createMessage(
    { topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, properties: packet.properties === undefined ? undefined : toMessageProperties(packet.properties) },
    conn.origin,
  )
  const outcome = core.broker.dispatch(message)
  if (packet.qos === 0) {
    if (outcome.stored !== undefined) core.runInBackground(outcome.stored, 'storing a QoS 0 message failed')
    return
  }
  const messageId = packet.messageId as number
  // 5.0: 0x10 No matching subscribers is a success code that tells the publisher nobody listened
  const reasonCode = conn.v5 && outcome.matched === 0 ? RC.noMatchingSubscribers : RC.success
  if (packet.qos === 1) {
    conn.ackAfter(outcome.stored, 'puback', messageId, reasonCode)
    return
  }
  const session = conn.session
  let stored = outcome.stored
  if (session !== undefined) {
    ;(session.incoming ??= new Set()).add(messageId)
    if (session.stored) {
      const recorded = core.deps.sessions.addIncoming(session.id, messageId)
      stored = stored === undefined ? recorded : Promise.all([stored, recorded])
    }
  }
  conn.ackAfter(stored, 'pubrec', messageId, reasonCode)
}
