import { z } from 'zod'

/** One `{name}` capture per whole Uri-Path segment, e.g. `sensors/{device}/temp`. */
const resourceSchema = z
  .object({
    /** Uri-Path of the resource, segments separated by `/`; `{name}` captures a whole segment. */
    path: z.string().min(1).refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'path must not start or end with "/"'),
    /** Topic the resource acts on; `{name}` is replaced by the captured segment. */
    topic: z.string().min(1),
    /** Resource type advertised in /.well-known/core (RFC 6690 `rt`). */
    rt: z.string().optional(),
    /** Content-Format advertised in /.well-known/core (RFC 6690 `ct`). */
    ct: z.number().int().min(0).max(65535).optional(),
  })
  .strict()

/** RFC 7252 §4.8 transmission parameters; shorter values let tests see retransmission give up quickly. */
const transmissionSchema = z
  .object({
    /** ACK_TIMEOUT in seconds. */
    ackTimeout: z.number().positive().default(2),
    ackRandomFactor: z.number().min(1).default(1.5),
    maxRetransmit: z.number().int().min(0).max(10).default(4),
    /** How long a CON request may take before an empty ACK goes out and the answer follows separately (ms). */
    separateResponseAfterMs: z.number().int().min(0).default(1000),
  })
  .strict()

/** Limits on what one peer and all peers together may hold in the bridge (DESIGN.md §4). */
const limitsSchema = z
  .object({
    /** Largest request payload in bytes, whole or reassembled from Block1 (4.13 beyond it). */
    maxPayloadSize: z.number().int().positive().default(256 * 1024),
    /** Block1 uploads in progress at once; the oldest is dropped beyond it. */
    maxBlock1Transfers: z.number().int().positive().default(1000),
    /** Bytes all Block1 uploads in progress may buffer together; the oldest is dropped beyond it. */
    maxBlock1Bytes: z.number().int().positive().default(64 * 1024 * 1024),
    /** Seconds a Block1 upload may pause between blocks before it is dropped (4.08 afterwards). */
    block1Timeout: z.number().positive().default(60),
    maxObserversPerPeer: z.number().int().min(0).default(64),
    maxObservers: z.number().int().min(0).default(10_000),
    /** Notifications waiting for one observer (behind an unacknowledged CON); the oldest is dropped. */
    maxQueuedNotifications: z.number().int().positive().default(1000),
    /** Requests remembered for deduplication (RFC 7252 §4.5), beyond EXCHANGE_LIFETIME expiry. */
    maxDedupeEntries: z.number().int().positive().default(100_000),
  })
  .strict()

/** `coap:` section of the hub config. */
export const coapConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** UDP port of every socket (JUNCTION_COAP_PORT); 0 lets the OS pick one per socket. */
    port: z.number().int().min(0).max(65535).default(5683),
    /** Bind address; defaults to the hub-wide `host`. Its IPv4/IPv6 twin is bound too (see `hosts`). */
    host: z.string().optional(),
    /**
     * Every address to bind, one UDP socket each. Default: `host` plus its twin of the other family
     * (127.0.0.1 and ::1, 0.0.0.0 and ::); a twin that cannot be bound is skipped with a warning.
     */
    hosts: z.array(z.string().min(1)).min(1).optional(),
    /** Block size (bytes) for Block2 responses and notifications, a power of two 16..1024 (RFC 7959 §2.2). */
    blockSize: z.union([z.literal(16), z.literal(32), z.literal(64), z.literal(128), z.literal(256), z.literal(512), z.literal(1024)]).default(1024),
    /** Resources mapped onto topics so that devices keep their URIs. */
    resources: z.array(resourceSchema).default([]),
    /** Seconds after which a NON-only observer gets a CON notification (RFC 7641 §4.5: at least every 24 hours). */
    observeConInterval: z.number().positive().default(86_400),
    transmission: transmissionSchema.prefault({}),
    limits: limitsSchema.prefault({}),
  })
  .strict()

export type CoapConfig = z.infer<typeof coapConfigSchema>
export type CoapResourceConfig = z.infer<typeof resourceSchema>
export type CoapTransmission = z.infer<typeof transmissionSchema>
