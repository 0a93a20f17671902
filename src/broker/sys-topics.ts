import type { Logger } from '../log.js'
import type { HubStats } from '../stats.js'
import type { Broker } from './broker.js'
import type { MqttCore } from './mqtt-core.js'

const VERSION = '0.1.0'
const ORIGIN = { protocol: 'system' as const }

/**
 * `$SYS/broker/...` statistics (the topics mosquitto publishes), retained, every `sysInterval`
 * seconds. Subscribers with `#` do not see them: wildcards at the first level skip `$` topics
 * [MQTT-4.7.2-1].
 */
export class SysPublisher {
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly broker: Broker,
    private readonly stats: HubStats,
    private readonly core: MqttCore,
    private readonly log: Logger,
  ) {}

  start(intervalSeconds: number): void {
    this.publish()
    this.timer = setInterval(() => this.publish(), intervalSeconds * 1000)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** The current values, topic -> text. */
  async values(): Promise<Array<[string, string]>> {
    const s = this.stats
    const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0)
    return [
      ['$SYS/broker/version', `junction ${VERSION}`],
      ['$SYS/broker/uptime', `${Math.floor((Date.now() - s.startedAt) / 1000)} seconds`],
      ['$SYS/broker/clients/connected', String(this.core.connectedCount)],
      ['$SYS/broker/clients/total', String(this.core.sessions.size)],
      ['$SYS/broker/clients/connections/total', String(s.connectionsTotal)],
      ['$SYS/broker/messages/received', String(sum(s.messagesIn))],
      ['$SYS/broker/messages/sent', String(s.messagesOut.mqtt)],
      ['$SYS/broker/messages/dropped', String(s.messagesDropped)],
      ['$SYS/broker/bytes/received', String(s.bytesIn)],
      ['$SYS/broker/bytes/sent', String(s.bytesOut)],
      ['$SYS/broker/subscriptions/count', String(this.broker.subscriptions.size)],
      ['$SYS/broker/retained messages/count', String(await this.broker.retained.count())],
    ]
  }

  private publish(): void {
    this.values().then(
      async (values) => {
        for (const [topic, text] of values) await this.broker.publish({ topic, payload: Buffer.from(text), retain: true }, ORIGIN)
      },
    ).catch((error: unknown) => this.log.error({ err: error }, 'publishing $SYS statistics failed'))
  }
}
