import { z } from 'zod'
import { validate as validateCron } from 'node-cron'
import { coapConfigSchema } from '../../bridges/coap/schema.js'
import { httpConfigSchema } from '../../bridges/http/schema.js'
import { rulesConfigSchema } from '../rules/schema.js'

const port = z.number().int().min(0).max(65535)

const tcpListenerSchema = z
  .object({ enabled: z.boolean().default(true), port: port.default(1883), host: z.string().optional() })
  .strict()

const wsListenerSchema = z
  .object({ enabled: z.boolean().default(true), port: port.default(8083), host: z.string().optional(), path: z.string().startsWith('/').default('/mqtt') })
  .strict()

const tlsFilesSchema = {
  /** PEM files, relative to the config file's folder. */
  cert: z.string(),
  key: z.string(),
  ca: z.string().optional(),
}

const tlsListenerSchema = z
  .object({ enabled: z.boolean().default(false), port: port.default(8883), host: z.string().optional(), ...tlsFilesSchema })
  .strict()

const wssListenerSchema = z
  .object({ enabled: z.boolean().default(false), port: port.default(8084), host: z.string().optional(), path: z.string().startsWith('/').default('/mqtt'), ...tlsFilesSchema })
  .strict()

/** Limits on every MQTT connection (DESIGN.md §4); each breach is answered with the protocol's error and counted. */
const mqttLimitsSchema = z
  .object({
    maxConnections: z.number().int().positive().default(100_000),
    /** Largest packet accepted, in bytes (MQTT 5 Maximum Packet Size sent in CONNACK). */
    maxPacketSize: z.number().int().min(64).max(268_435_460).default(1_048_576),
    maxTopicLevels: z.number().int().positive().default(128),
    /** Receive Maximum: QoS 1/2 publishes in flight per direction. */
    maxInflight: z.number().int().min(1).max(65535).default(100),
    /** Messages queued per session beyond those in flight. */
    maxQueuedMessages: z.number().int().positive().default(1000),
    maxQueuedBytes: z.number().int().positive().default(16 * 1024 * 1024),
    /** What to drop when a session queue is full. */
    queueDropPolicy: z.enum(['drop-oldest', 'drop-new']).default('drop-oldest'),
    /** Publishes per second per client; 0 is unlimited. */
    publishRate: z.number().nonnegative().default(0),
    /** Longest keep alive granted; longer requests get a 5.0 Server Keep Alive. 0 is no cap. */
    maxKeepAlive: z.number().int().min(0).max(65535).default(0),
    /** Topic Alias Maximum the hub accepts from clients. */
    topicAliasMaximum: z.number().int().min(0).max(65535).default(100),
    /** Longest Session Expiry Interval granted, in seconds. */
    maxSessionExpiry: z.number().int().min(0).max(0xffffffff).default(0xffffffff),
    /** Seconds a new connection may take to send CONNECT before it is closed (half-open sockets). */
    connectTimeout: z.number().int().positive().default(10),
    /** Bytes buffered for a slow subscriber before its QoS 0 messages are dropped. */
    maxWriteBuffer: z.number().int().positive().default(4 * 1024 * 1024),
  })
  .strict()

const mqttSchema = z
  .object({
    tcp: tcpListenerSchema.prefault({}),
    ws: wsListenerSchema.prefault({}),
    tls: tlsListenerSchema.optional(),
    wss: wssListenerSchema.optional(),
    limits: mqttLimitsSchema.prefault({}),
    /** Seconds between `$SYS/broker/...` updates; 0 turns them off. */
    sysInterval: z.number().int().min(0).default(10),
  })
  .strict()

const cronExpression = z.string().refine((s) => validateCron(s), 'a node-cron expression (5 or 6 fields)')

/** Housekeeping schedules of the SQLite store (node-cron syntax, seconds field optional). */
const storageHousekeepingSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Remove expired retained and queued messages, expired sessions and orphaned rows. */
    sweep: cronExpression.default('*/5 * * * *'),
    /** Checkpoint the WAL and return free pages to the file system when worthwhile. */
    compact: cronExpression.default('17 3 * * *'),
  })
  .strict()

const storageSchema = z
  .object({
    driver: z.enum(['sqlite', 'memory']).default('sqlite'),
    /** Folder for the SQLite file, relative to the working directory. */
    dataDir: z.string().default('./data'),
    /** The SQLite database file's name inside `dataDir` (docs/storage.md). */
    file: z.string().min(1).regex(/^[^/\\]+$/, 'a file name without folders').default('junction.db'),
    /**
     * SQLite `PRAGMA synchronous` in WAL mode: `normal` survives a process crash or kill -9 but may lose
     * the last commits on power loss; `full` also survives power loss, at the cost of one fsync per commit.
     */
    synchronous: z.enum(['normal', 'full']).default('normal'),
    /** Move a damaged database file aside (timestamped name) and start empty instead of refusing to start. */
    recover: z.boolean().default(false),
    housekeeping: storageHousekeepingSchema.prefault({}),
  })
  .strict()

const authSchema = z
  .object({
    /**
     * Accept clients without credentials (MQTT, HTTP and CoAP alike): `true`, `false`, or `loopback`
     * (the default) for clients connecting from the loopback interface only.
     */
    allowAnonymous: z.union([z.boolean(), z.literal('loopback')]).default('loopback'),
  })
  .strict()

export const hubConfigSchema = z
  .object({
    /** Bind address of every listener unless a listener names its own (JUNCTION_HOST). */
    host: z.string().default('127.0.0.1'),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).strict().prefault({}),
    storage: storageSchema.prefault({}),
    mqtt: mqttSchema.prefault({}),
    auth: authSchema.prefault({}),
    http: httpConfigSchema.prefault({}),
    coap: coapConfigSchema.prefault({}),
    rules: rulesConfigSchema.prefault({}),
  })
  .strict()

/** The whole hub configuration, after defaults. */
export type HubConfig = z.infer<typeof hubConfigSchema>
/** What a config file or `createHub()` caller may write: every key optional. */
export type HubConfigInput = z.input<typeof hubConfigSchema>
