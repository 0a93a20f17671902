import type { ISubscribePacket, ISubscription } from 'mqtt-packet'
import type { Identity } from '../../hooks.js'
import { isExpired, type QoS } from '../../message.js'
import { checkTopicFilter, parseSharedFilter } from '../../topic/validate.js'
import type { Connection } from '../connection.js'
import { protocolViolation } from '../frame-reader.js'
import type { MqttCore } from '../mqtt-core.js'
import { RC } from '../reason-codes.js'
import type { Session } from '../session.js'
import type { Subscription } from '../subscriptions.js'

/** 3.1.1 SUBACK failure return code [MQTT-3.9.3-2]. */
const FAILURE_311 = 0x80

/**
 * SUBSCRIBE (MQTT 5.0 §3.8): each filter is checked and authorized on its own; the SUBACK has one
 * code per filter in order [MQTT-3.8.4-6]; retained messages follow per Retain Handling.
 */
export async function handleSubscribe(core: MqttCore, conn: Connection, packet: ISubscribePacket): Promise<void> {
  const session = conn.session as Session
  const v5 = conn.v5
  const subscriptionId = v5 ? packet.properties?.subscriptionIdentifier : undefined
  // 5.0 §3.8.2.1.2: a Subscription Identifier of 0 is a protocol error
  if (subscriptionId === 0) throw protocolViolation(RC.protocolError, 'Subscription Identifier 0')
  const granted: number[] = []
  const sendRetained: Subscription[] = []
  for (const request of packet.subscriptions) {
    const code = await subscribeOne(core, conn, session, request, typeof subscriptionId === 'number' ? subscriptionId : undefined, sendRetained)
    granted.push(code)
  }
  if (session.stored) await core.deps.sessions.save(session.record())
  if (conn.state === 'closed') return
  conn.writePacket({ cmd: 'suback', messageId: packet.messageId as number, granted })
  for (const subscription of sendRetained) await sendRetainedMessages(core, conn, session, subscription)
}

async function subscribeOne(
  core: MqttCore,
  conn: Connection,
  session: Session,
  request: ISubscription,
  subscriptionId: number | undefined,
  sendRetained: Subscription[],
): Promise<number> {
  const v5 = conn.v5
  const filter = request.topic
  const problem = checkTopicFilter(filter, core.limits.maxTopicLevels)
  if (problem !== undefined) {
    core.deps.log.debug({ clientId: conn.clientId, filter, problem }, 'subscription refused')
    return v5 ? RC.topicFilterInvalid : FAILURE_311
  }
  const shared = parseSharedFilter(filter)
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
  if (shared && request.nl === true) throw protocolViolation(RC.protocolError, `No Local on shared subscription ${filter}`)
  if (!(await core.deps.hooks.authorizeSubscribe(conn.identity as Identity, filter))) {
    return v5 ? RC.notAuthorized : FAILURE_311
  }
  const qos = request.qos as QoS
  const retainHandling = (v5 ? (request.rh ?? 0) : 0) as 0 | 1 | 2
  const { subscription, existed } = core.broker.subscriptions.add(filter, {
    subscriber: session,
    qos,
    noLocal: v5 && request.nl === true,
    retainAsPublished: v5 && request.rap === true,
    retainHandling,
    subscriptionId,
  })
  ;(session.subscriptions ??= new Map()).set(filter, subscription)
  // Retain Handling 0: send retained; 1: only for a new subscription; 2: never (5.0 §3.8.3.1).
  // Shared subscriptions get no retained messages (5.0 §4.8.2).
  if (!shared && (retainHandling === 0 || (retainHandling === 1 && !existed))) sendRetained.push(subscription)
  core.deps.events.emit('session_subscribed', { clientId: session.id, username: conn.username, filter, qos })
  return qos
}

/** Retained messages for a new subscription, with RETAIN set [MQTT-3.3.1-8], at the granted QoS at most. */
async function sendRetainedMessages(core: MqttCore, conn: Connection, session: Session, subscription: Subscription): Promise<void> {
  const messages = await core.broker.retained.match(subscription.filter)
  if (session.connection !== conn || !conn.connected) return
  const ids = subscription.subscriptionId === undefined ? undefined : [subscription.subscriptionId]
  for (const message of messages) {
    if (isExpired(message)) continue
    if (subscription.noLocal && message.origin.protocol === 'mqtt' && message.origin.clientId === session.id) continue
    const qos = message.qos < subscription.qos ? message.qos : subscription.qos
    if (qos === 0) conn.sendPublish(message, 0, true, 0, false, ids)
    else core.runInBackground(session.deliverReliable(message, qos, true, ids), 'queueing a retained message failed')
  }
}
