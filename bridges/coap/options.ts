/**
 * CoAP option values (RFC 7252 §3.2, RFC 7959 §2.2), on top of the `coap-packet` codec which leaves
 * option values as raw buffers.
 */

export interface RawOption {
  name: string | number
  value: Buffer
}

/** Option numbers by the names `coap-packet` gives them. */
export const OPTION = {
  IfMatch: 1,
  UriHost: 3,
  ETag: 4,
  IfNoneMatch: 5,
  Observe: 6,
  UriPort: 7,
  LocationPath: 8,
  UriPath: 11,
  ContentFormat: 12,
  MaxAge: 14,
  UriQuery: 15,
  HopLimit: 16,
  Accept: 17,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  ProxyUri: 35,
  ProxyScheme: 39,
  Size1: 60,
  NoResponse: 258,
} as const

const NAME_TO_NUMBER: Record<string, number> = {
  'If-Match': 1,
  'Uri-Host': 3,
  ETag: 4,
  'If-None-Match': 5,
  Observe: 6,
  'Uri-Port': 7,
  'Location-Path': 8,
  OSCORE: 9,
  'Uri-Path': 11,
  'Content-Format': 12,
  'Max-Age': 14,
  'Uri-Query': 15,
  'Hop-Limit': 16,
  Accept: 17,
  'Q-Block1': 19,
  'Location-Query': 20,
  Block2: 23,
  Block1: 27,
  Size2: 28,
  'Q-Block2': 31,
  'Proxy-Uri': 35,
  'Proxy-Scheme': 39,
  Size1: 60,
  'No-Response': 258,
}

/** The number of an option as `coap-packet` parsed it (a name for registered ones, digits otherwise). */
export function optionNumber(option: RawOption): number {
  if (typeof option.name === 'number') return option.name
  return NAME_TO_NUMBER[option.name] ?? Number.parseInt(option.name, 10)
}

/**
 * Critical options the bridge understands. Any other odd-numbered option in a request is
 * "unrecognized critical" (RFC 7252 §5.4.1). Uri-Host/Uri-Port name this hub (no virtual hosting).
 */
const RECOGNIZED_CRITICAL = new Set<number>([OPTION.UriHost, OPTION.UriPort, OPTION.UriPath, OPTION.UriQuery, OPTION.Accept, OPTION.Block2, OPTION.Block1])

/** The first critical option in the list the bridge does not recognize, or undefined. */
export function findUnrecognizedCritical(options: readonly RawOption[]): number | undefined {
  for (const option of options) {
    const n = optionNumber(option)
    // RFC 7252 §5.4.6: odd option numbers are critical
    if ((n & 1) === 1 && !RECOGNIZED_CRITICAL.has(n)) return n
  }
  return undefined
}

/** Every value of an option, in order (repeatable options such as Uri-Path). */
export function optionValues(options: readonly RawOption[], number: number): Buffer[] {
  const values: Buffer[] = []
  for (const option of options) if (optionNumber(option) === number) values.push(option.value)
  return values
}

export function findOption(options: readonly RawOption[], number: number): Buffer | undefined {
  for (const option of options) if (optionNumber(option) === number) return option.value
  return undefined
}

/** RFC 7252 §3.2 uint: big-endian, leading zero bytes removed (0 is the empty value). */
export function decodeUint(value: Buffer): number {
  let n = 0
  for (const byte of value) n = n * 256 + byte
  return n
}

export function encodeUint(n: number): Buffer {
  if (n === 0) return Buffer.alloc(0)
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Buffer.from(bytes)
}

/** A Block1/Block2 value (RFC 7959 §2.2): block number, more flag and size exponent (size = 2^(szx+4)). */
export interface BlockOption {
  num: number
  more: boolean
  szx: number
}

/** Decode a block option, or undefined when it is malformed (more than 3 bytes, or SZX 7 reserved). */
export function decodeBlock(value: Buffer): BlockOption | undefined {
  if (value.length > 3) return undefined
  const n = decodeUint(value)
  const szx = n & 0x7
  if (szx === 7) return undefined // RFC 7959 §2.2: SZX 7 is reserved (BERT only over reliable transports)
  return { num: n >>> 4, more: (n & 0x8) !== 0, szx }
}

export function encodeBlock(block: BlockOption): Buffer {
  return encodeUint(block.num * 16 + (block.more ? 8 : 0) + block.szx)
}

export function blockSizeOf(szx: number): number {
  return 1 << (szx + 4)
}

/** The SZX exponent for a block size that is a power of two between 16 and 1024. */
export function szxOf(size: number): number {
  return Math.log2(size) - 4
}
